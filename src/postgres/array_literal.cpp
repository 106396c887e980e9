#include "smime/postgres/array_literal.hpp"

#include "smime/common/error.hpp"

namespace smime::postgres {

namespace {

[[noreturn]] void malformed(std::string_view literal) {
  throw Error(ErrorCode::internal,
              "Unexpected array from the database: " + std::string(literal.substr(0, 80)));
}

// One element starting at `at` (just after '{' or ','); moves `at` to the ',' or '}' after it.
std::string read_element(std::string_view literal, std::size_t& at) {
  std::string out;
  if (at < literal.size() && literal[at] == '"') {
    for (++at; at < literal.size() && literal[at] != '"'; ++at) {
      if (literal[at] == '\\') ++at;
      if (at >= literal.size()) malformed(literal);
      out += literal[at];
    }
    if (at >= literal.size()) malformed(literal);
    ++at;  // the closing quote
    return out;
  }
  const std::size_t end = literal.find_first_of(",}", at);
  if (end == std::string_view::npos) malformed(literal);
  out = std::string(literal.substr(at, end - at));
  at = end;
  return out == "NULL" ? std::string() : out;  // a NULL element is never quoted
}

}  // namespace

std::string to_array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string to_array_literal(const std::vector<std::int64_t>& items) {
  std::string out = "{";
  for (const std::int64_t item : items) {
    if (out.size() > 1) out += ',';
    out += std::to_string(item);
  }
  return out + "}";
}

std::vector<std::string> parse_array_literal(std::string_view literal) {
  if (literal.size() < 2 || literal.front() != '{' || literal.back() != '}') malformed(literal);
  std::vector<std::string> items;
  if (literal == "{}") return items;
  std::size_t at = 1;
  for (;;) {
    items.push_back(read_element(literal, at));
    if (at >= literal.size()) malformed(literal);
    if (literal[at] == '}') break;
    if (literal[at] != ',') malformed(literal);
    ++at;
  }
  if (at + 1 != literal.size()) malformed(literal);
  return items;
}

}  // namespace smime::postgres
