#include "header_block.hpp"

#include <string>

#include "smime/common/error.hpp"

namespace smime::engine::mime::detail {

namespace {

struct Line {
  std::size_t begin;
  std::size_t content_end;  // before CR LF / LF
  std::size_t end;          // after the line break
};

Line line_at(std::string_view data, std::size_t begin) {
  std::size_t lf = data.find('\n', begin);
  Line line{begin, lf == std::string_view::npos ? data.size() : lf,
            lf == std::string_view::npos ? data.size() : lf + 1};
  if (line.content_end > begin && data[line.content_end - 1] == '\r') --line.content_end;
  return line;
}

bool is_continuation(std::string_view data, const Line& line) {
  return line.content_end > line.begin && (data[line.begin] == ' ' || data[line.begin] == '\t');
}

// field-name = 1*(%d33-57 / %d59-126), then (obsolete syntax) optional WSP, then ':'.
// Returns the name length, 0 when the line does not start a field.
std::size_t field_name_length(std::string_view data, const Line& line) {
  std::size_t i = line.begin;
  while (i < line.content_end) {
    auto c = static_cast<unsigned char>(data[i]);
    if (c < 33 || c > 126 || c == ':') break;
    ++i;
  }
  std::size_t name_end = i;
  if (name_end == line.begin) return 0;
  while (i < line.content_end && (data[i] == ' ' || data[i] == '\t')) ++i;
  return (i < line.content_end && data[i] == ':') ? name_end - line.begin : 0;
}

[[noreturn]] void not_a_message(const std::string& why) {
  throw Error(ErrorCode::invalid_input, "not an RFC 5322 message: " + why);
}

}  // namespace

HeaderBlock scan_message_headers(std::string_view message) {
  if (message.empty()) not_a_message("the input is empty");
  HeaderBlock block;
  std::size_t pos = 0;
  int number = 0;
  while (pos < message.size()) {
    Line line = line_at(message, pos);
    ++number;
    if (line.content_end == line.begin) {  // the empty line that ends the header block
      if (number == 1) not_a_message("it has no header block (it starts with an empty line)");
      block.body_begin = line.end;
      return block;
    }
    std::string_view text = message.substr(line.begin, line.content_end - line.begin);
    if (text.find('\r') != std::string_view::npos || text.find('\0') != std::string_view::npos) {
      not_a_message("line " + std::to_string(number) +
                    " of the header block contains a bare CR or a NUL byte");
    }
    if (is_continuation(message, line) && !block.fields.empty()) {
      block.fields.back().end = line.end;
    } else if (std::size_t n = field_name_length(message, line); n > 0) {
      block.fields.push_back({line.begin, line.end, message.substr(line.begin, n)});
    } else if (number == 1) {
      not_a_message("the first line is not a header field");
    } else {
      not_a_message("line " + std::to_string(number) +
                    " of the header block is not a header field");
    }
    pos = line.end;
  }
  block.body_begin = message.size();
  return block;
}

std::size_t find_body_begin(std::string_view entity) {
  std::size_t pos = 0;
  while (pos < entity.size()) {
    Line line = line_at(entity, pos);
    if (line.content_end == line.begin) return line.end;
    pos = line.end;
  }
  return entity.size();
}

std::size_t field_end(std::string_view data, std::size_t begin) {
  Line line = line_at(data, begin);
  std::size_t end = line.end;
  while (end < data.size()) {
    Line next = line_at(data, end);
    if (!is_continuation(data, next)) break;
    end = next.end;
  }
  return end;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char x = text[i], y = prefix[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace smime::engine::mime::detail
