// Fabricated rows for store tests: the store does not parse certificates, so plausible
// values derived from a name are enough.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>

#include "smime/common/hex.hpp"
#include "smime/store/records.hpp"

namespace smime::store::testing {

inline std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return to_hex({digest, length});
}

inline CertificateRecord fake_certificate(const std::string& name,
                                          std::int64_t not_before = 1'700'000'000) {
  CertificateRecord record;
  record.sha256 = sha256_hex(name);
  record.sha1 = sha256_hex("sha1:" + name).substr(0, 40);
  const std::string der = "DER of " + name;
  record.der.assign(der.begin(), der.end());
  record.subject = "CN=" + name + ",O=Example";
  record.issuer = "CN=Example CA,O=Example";
  record.serial = sha256_hex("serial:" + name).substr(0, 16);
  record.emails = {name + "@example.com"};
  record.not_before = not_before;
  record.not_after = not_before + 365 * 86400;
  record.key_algorithm = "RSA";
  record.key_bits = 2048;
  record.key_usages = {"digitalSignature", "keyEncipherment"};
  record.extended_key_usages = {"emailProtection"};
  record.can_sign = true;
  record.can_encrypt = true;
  return record;
}

// CertificateQuery with only the named filters set.
struct Query {
  CertificateQuery value;
  Query& email(std::string text) {
    value.email = std::move(text);
    return *this;
  }
  Query& prefix(std::string hex) {
    value.fingerprint_prefix = std::move(hex);
    return *this;
  }
  Query& subject(std::string text) {
    value.subject_contains = std::move(text);
    return *this;
  }
  Query& has_key(bool flag) {
    value.has_key = flag;
    return *this;
  }
  Query& is_ca(bool flag) {
    value.is_ca = flag;
    return *this;
  }
  Query& limit(int count) {
    value.limit = count;
    return *this;
  }
  operator const CertificateQuery&() const { return value; }  // NOLINT(google-explicit-constructor)
};

}  // namespace smime::store::testing
