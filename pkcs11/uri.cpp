#include "smime/pkcs11/uri.hpp"

#include <cstdio>

namespace smime::pkcs11 {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void append_escaped(std::string& out, unsigned char c) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%%%02X", c);
  out += buf;
}

}  // namespace

std::string percent_encode(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (is_unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      append_escaped(out, c);
    }
  }
  return out;
}

std::string percent_encode(std::span<const unsigned char> bytes) {
  std::string out;
  for (unsigned char c : bytes) append_escaped(out, c);
  return out;
}

std::string make_uri(const ObjectUri& parts) {
  std::string uri = "pkcs11:";
  auto add = [&](std::string_view name, const std::string& value) {
    if (uri.back() != ':') uri += ';';
    uri += name;
    uri += '=';
    uri += value;
  };
  if (!parts.token_label.empty()) add("token", percent_encode(parts.token_label));
  if (!parts.serial.empty()) add("serial", percent_encode(parts.serial));
  if (!parts.id.empty()) add("id", percent_encode(parts.id));
  if (!parts.type.empty()) add("type", parts.type);
  return uri;
}

std::string redact_uri(std::string_view uri) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= uri.size()) {
    std::size_t end = uri.find_first_of(";?&", pos);
    if (end == std::string_view::npos) end = uri.size();
    std::string_view attr = uri.substr(pos, end - pos);
    if (attr.rfind("pkcs11:", 0) == 0) {
      out += "pkcs11:";
      attr.remove_prefix(7);
    }
    if (attr.rfind("pin-value=", 0) == 0) {
      out += "pin-value=***";
    } else if (attr.rfind("pin-source=", 0) == 0) {
      out += "pin-source=***";
    } else {
      out += attr;
    }
    if (end < uri.size()) out += uri[end];
    pos = end + 1;
  }
  return out;
}

}  // namespace smime::pkcs11
