// PKCS#11 URIs (RFC 7512) naming token objects, and their redaction for logs.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace smime::pkcs11 {

struct ObjectUri {
  std::string token_label;
  std::string serial;
  std::span<const unsigned char> id;
  std::string type;  // "private", "public", "cert"
};

// "pkcs11:token=Org%20Keys;serial=...;id=%01%02;type=private"
std::string make_uri(const ObjectUri& parts);

// RFC 3986 percent-encoding of a path attribute value (unreserved characters stay).
std::string percent_encode(std::string_view value);
std::string percent_encode(std::span<const unsigned char> bytes);  // every byte as %XX

// Replaces the value of pin-value (and pin-source) with "***" so a URI can be logged.
std::string redact_uri(std::string_view uri);

}  // namespace smime::pkcs11
