#include "part_budget.hpp"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include "gmime_support.hpp"
#include "header_block.hpp"

namespace smime::engine::mime::detail {
namespace {

// The shortest body part: a delimiter line "--x" and its line break.
constexpr std::size_t kMinBytesPerPart = 4;

// Lines starting with "--" remembered by the first pass, so that a second is only needed for
// an entity with more of them (mail has a few; hostile input may be nothing else).
constexpr std::size_t kRememberedDelimiterLines = 4096;

struct Line {
  std::size_t begin;
  std::size_t end;  // its LF, or the end of the entity
};

struct DeclaredStructure {
  std::unordered_set<std::string> boundaries;
  std::size_t message_parts = 0;  // message/* entities: parts that need no delimiter
  std::vector<Line> dash_lines;   // the first kRememberedDelimiterLines lines with "--"
  bool more_dash_lines = false;   // and whether there were more
};

// Calls visit(offset of the line, offset of its LF or the end) for every line of `text`.
template <class Visit>
void for_each_line(std::string_view text, Visit visit) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t lf = std::min(text.find('\n', pos), text.size());
    visit(pos, lf);
    pos = lf + 1;
  }
}

bool icontains(std::string_view text, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    if (istarts_with(text.substr(i), needle)) return true;
  }
  return false;
}

// Every line that could start a Content-Type field (also lines of bodies: that only makes
// the bound larger). GMime reads the values, so the boundary is the one its parser will use.
DeclaredStructure declared_structure(std::string_view entity) {
  DeclaredStructure declared;
  for_each_line(entity, [&](std::size_t pos, std::size_t end) {
    std::string_view line = entity.substr(pos);
    if (line.starts_with("--")) {
      if (declared.dash_lines.size() < kRememberedDelimiterLines) {
        declared.dash_lines.push_back({pos, end});
      } else {
        declared.more_dash_lines = true;
      }
      return;
    }
    if (!istarts_with(line, "content-type")) return;
    std::size_t i = 12;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size() || line[i] != ':') return;
    const std::string_view value =
        entity.substr(pos + i + 1, field_end(entity, pos) - (pos + i + 1));
    if (!icontains(value, "boundary") && !icontains(value, "message/")) return;
    const std::string text(value);
    GObjectPtr<GMimeContentType> type(g_mime_content_type_parse(nullptr, text.c_str()));
    if (!type) return;
    if (g_mime_content_type_is_type(type.get(), "message", "*")) ++declared.message_parts;
    if (const char* boundary = g_mime_content_type_get_parameter(type.get(), "boundary")) {
      declared.boundaries.emplace(boundary);
    }
  });
  return declared;
}

// "--" boundary followed by blanks only, as GMime's boundary check accepts it: a line that
// opens a body part (a close delimiter "--" boundary "--" opens none).
bool opens_body_part(std::string_view line, const std::unordered_set<std::string>& boundaries) {
  if (!line.starts_with("--")) return false;
  line.remove_prefix(2);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ' ||
                           line.back() == '\t')) {
    line.remove_suffix(1);
  }
  return boundaries.contains(std::string(line));
}

[[noreturn]] void too_many_parts(const Limits& limits) {
  throw_limit_exceeded("The number of MIME parts", limits.mime_parts, "mime_parts");
}

void count_tree(GMimeObject* object, std::size_t depth, std::size_t& parts, const Limits& limits) {
  if (++parts > limits.mime_parts) too_many_parts(limits);
  if (depth > limits.mime_depth) {
    throw_limit_exceeded("The nesting depth of MIME parts", limits.mime_depth, "mime_depth");
  }
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    const int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count; ++i) {
      count_tree(g_mime_multipart_get_part(multipart, i), depth + 1, parts, limits);
    }
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    GMimeObject* body = message != nullptr ? g_mime_message_get_mime_part(message) : nullptr;
    if (body != nullptr) count_tree(body, depth + 1, parts, limits);
  }
}

}  // namespace

void check_part_budget(std::string_view entity, const Limits& limits) {
  if (entity.size() / kMinBytesPerPart < limits.mime_parts) return;
  ensure_gmime();
  const DeclaredStructure declared = declared_structure(entity);
  std::size_t bound = 1 + declared.message_parts;
  if (bound > limits.mime_parts) too_many_parts(limits);
  if (declared.boundaries.empty()) return;
  const auto count = [&](std::size_t pos, std::size_t end) {
    const std::string_view line = entity.substr(pos, end - pos);
    if (opens_body_part(line, declared.boundaries) && ++bound > limits.mime_parts) {
      too_many_parts(limits);
    }
  };
  if (declared.more_dash_lines) return for_each_line(entity, count);
  for (const Line& line : declared.dash_lines) count(line.begin, line.end);
}

void check_part_tree(GMimeObject* root, const Limits& limits) {
  std::size_t parts = 0;
  count_tree(root, 1, parts, limits);
}

}  // namespace smime::engine::mime::detail
