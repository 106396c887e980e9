// What the certificate code reads out of a certificate or CRL: plain values, so that the
// store, the engine and the service can take what they need without the certificate code
// knowing how any of them keeps it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace smime::certs {

struct CertificateDescription {
  std::string sha256;  // lowercase hex of SHA-256(DER): the certificate's identity
  std::string sha1;    // lowercase hex of SHA-1(DER)
  std::vector<unsigned char> der;
  std::string subject;  // one line, RFC 2253 order ("CN=a,O=b")
  std::string issuer;
  std::string serial;               // lowercase hex
  std::string subject_key_id;       // lowercase hex, empty when absent
  std::string authority_key_id;     // lowercase hex, empty when absent
  std::vector<std::string> emails;  // rfc822Name SAN entries, lowercased, without duplicates
  std::int64_t not_before = 0;      // unix seconds
  std::int64_t not_after = 0;
  std::string key_algorithm;  // "RSA" or "EC" (or the OpenSSL name of another type)
  int key_bits = 0;
  std::string curve;                             // "P-256", ... for EC
  std::vector<std::string> key_usages;           // "digitalSignature", "keyEncipherment", ...
  std::vector<std::string> extended_key_usages;  // "emailProtection", ... (empty: no EKU)
  bool can_sign = false;                         // digitalSignature (or no KU at all on a CA)
  bool can_encrypt = false;                      // keyEncipherment (RSA) or keyAgreement (EC)
  bool is_ca = false;
};

struct CrlDescription {
  std::string issuer;  // one line, as CertificateDescription::subject of the CA
  std::vector<unsigned char> der;
  std::int64_t this_update = 0;
  std::int64_t next_update = 0;  // 0 when absent
  std::string crl_number;        // decimal, empty when absent
};

struct RevokedSerial {
  std::string serial;  // lowercase hex
  std::int64_t revoked_at = 0;
  std::string reason;  // "keyCompromise", ... or empty
};

}  // namespace smime::certs
