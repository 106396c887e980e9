#include "smime/server/http.hpp"

#include <algorithm>
#include <cstdlib>

#include "smime/common/hex.hpp"
#include "smime/common/text.hpp"

namespace smime::server {
namespace {

// An encoded '/' would be decoded into a segment boundary after the router split the path:
// "/certificates/<fp>%2fdownload" must not reach the download route.
bool has_encoded_slash(std::string_view path) {
  for (std::size_t i = 0; i + 2 < path.size(); ++i) {
    if (path[i] == '%' && path[i + 1] == '2' && (path[i + 2] == 'f' || path[i + 2] == 'F')) {
      return true;
    }
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Percent-decoding; '+' is a space only in the query.
std::optional<std::string> decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_digit_value(text[i + 1]);
      const int lo = hex_digit_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

void Headers::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [key, value] : items_) {
    if (ascii_iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::string too_large_message(const BodyLimit& limit) {
  return "The request body exceeds " + std::to_string(limit.bytes) +
         " bytes (the [server] setting " + limit.setting + ")";
}

std::optional<Target> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  Target result;
  const auto question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  if (has_encoded_slash(raw_path)) return std::nullopt;
  auto path = decode(raw_path, false);
  if (!path || path->find('\0') != std::string::npos) return std::nullopt;
  result.path = std::move(*path);
  if (question == std::string_view::npos) return result;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = decode(pair.substr(0, eq), true);
    auto value =
        decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    result.query.emplace(std::move(*key), std::move(*value));  // the first one wins
  }
  return result;
}

std::optional<std::string_view> bearer_token(const Headers& headers) {
  auto value = headers.get("Authorization");
  if (!value) return std::nullopt;
  std::string_view v = trim(*value);
  constexpr std::string_view kScheme = "bearer ";
  if (v.size() <= kScheme.size() || !ascii_iequals(v.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  std::string_view token = trim(v.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

std::string media_type(std::string_view content_type) {
  return ascii_lower(trim(content_type.substr(0, content_type.find(';'))));
}

namespace {

// "q=0.5" among an Accept entry's parameters; 1 without one, 0 when malformed.
double entry_quality(std::string_view parameters) {
  while (!parameters.empty()) {
    const std::size_t end = std::min(parameters.find(';'), parameters.size());
    const std::string_view parameter = trim(parameters.substr(0, end));
    parameters.remove_prefix(std::min(end + 1, parameters.size()));
    if (parameter.size() < 2 || !ascii_iequals(parameter.substr(0, 2), "q=")) continue;
    const std::string value(parameter.substr(2));
    char* rest = nullptr;
    const double q = std::strtod(value.c_str(), &rest);
    if (rest == value.c_str() || *rest != '\0' || !(q >= 0.0 && q <= 1.0)) return 0.0;
    return q;
  }
  return 1.0;
}

}  // namespace

double accept_quality(std::optional<std::string_view> accept, std::string_view type,
                      bool wildcards) {
  if (!accept || trim(*accept).empty()) return wildcards ? 1.0 : 0.0;
  const std::string wanted = ascii_lower(type);
  const std::string family = wanted.substr(0, wanted.find('/')) + "/*";
  double exact = -1, partial = -1, any = -1;
  std::string_view list = *accept;
  while (!list.empty()) {
    const std::size_t end = std::min(list.find(','), list.size());
    const std::string_view entry = list.substr(0, end);
    list.remove_prefix(std::min(end + 1, list.size()));
    const std::size_t semicolon = std::min(entry.find(';'), entry.size());
    const std::string name = ascii_lower(trim(entry.substr(0, semicolon)));
    const double q = entry_quality(entry.substr(std::min(semicolon + 1, entry.size())));
    if (name == wanted) exact = std::max(exact, q);
    if (name == family) partial = std::max(partial, q);
    if (name == "*/*") any = std::max(any, q);
  }
  if (exact >= 0) return exact;
  if (!wildcards) return 0.0;
  if (partial >= 0) return partial;
  return any >= 0 ? any : 0.0;
}

std::string header_value(std::string_view text, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
    if (out.size() > max_bytes) {
      out.resize(max_bytes > 3 ? max_bytes - 3 : 0);
      return out + "...";
    }
  }
  return out;
}

}  // namespace smime::server
