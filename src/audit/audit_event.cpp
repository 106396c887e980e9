// The text form of a need (AuditEvent::needs) and its parser.
#include "smime/audit/audit_sink.hpp"

namespace smime::audit {
namespace {

constexpr std::string_view kKinds[] = {"key", "certificate"};

void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == ';') out += '\\';
    out += c;
  }
}

// Splits at ';' not escaped by '\', removing the escapes.
std::optional<std::vector<std::string>> split_parts(std::string_view text) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (++i == text.size()) return std::nullopt;  // a dangling escape
      parts.back() += text[i];
    } else if (c == ';') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

}  // namespace

std::string Need::to_string() const {
  std::string out = kind;
  bool first = true;
  const auto part = [&](std::string_view name, const std::string& value) {
    if (value.empty()) return;
    out += first ? ' ' : ';';
    first = false;
    out += name;
    out += '=';
    append_escaped(out, value);
  };
  part("issuer", issuer);
  part("serial", serial);
  part("ski", subject_key_id);
  part("subject", subject);
  return out;
}

std::optional<Need> parse_need(std::string_view text) {
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  Need need;
  need.kind = std::string(text.substr(0, space));
  bool known_kind = false;
  for (std::string_view kind : kKinds) known_kind = known_kind || need.kind == kind;
  if (!known_kind) return std::nullopt;
  const auto parts = split_parts(text.substr(space + 1));
  if (!parts) return std::nullopt;
  for (const std::string& part : *parts) {
    const std::size_t equals = part.find('=');
    if (equals == std::string::npos || equals + 1 == part.size()) return std::nullopt;
    const std::string name = part.substr(0, equals);
    std::string value = part.substr(equals + 1);
    std::string* field = name == "issuer"    ? &need.issuer
                         : name == "serial"  ? &need.serial
                         : name == "ski"     ? &need.subject_key_id
                         : name == "subject" ? &need.subject
                                             : nullptr;
    if (field == nullptr || !field->empty()) return std::nullopt;
    *field = std::move(value);
  }
  if (need.issuer.empty() && need.subject_key_id.empty() && need.subject.empty()) {
    return std::nullopt;
  }
  return need;
}

}  // namespace smime::audit
