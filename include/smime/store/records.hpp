// Rows of the appliance's store (SPEC §5), independent of the database behind it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smime::store {

struct CertificateRecord {
  std::int64_t id = 0;  // assigned by the store
  std::string sha256;   // lowercase hex of SHA-256(DER): the certificate's identity
  std::string sha1;     // lowercase hex of SHA-1(DER)
  std::vector<unsigned char> der;
  std::string subject;  // one line, RFC 2253 order ("CN=a,O=b")
  std::string issuer;
  std::string serial;               // lowercase hex
  std::string subject_key_id;       // lowercase hex, empty when absent
  std::string authority_key_id;     // lowercase hex, empty when absent
  std::vector<std::string> emails;  // rfc822Name SAN entries, lowercased
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
  // A trust anchor: chains may end here. Only what the administrator made one (CA
  // certificates imported directly); intermediates kept for path building are not.
  bool trusted = true;
  std::optional<std::string> token_key_id;  // CKA_ID hex when the private key is in the token
  bool key_exportable = false;
  // The import rules this certificate passed only under the legacy-certificate policy
  // ("subject_alt_name_email", "key_usage"); empty for a certificate that meets SPEC §6.
  std::vector<std::string> legacy_rules;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct CertificateQuery {
  std::string email;               // exact address, case-insensitive
  std::string fingerprint_prefix;  // SHA-256 hex prefix
  std::string subject_contains;    // case-insensitive substring of subject
  std::optional<bool> has_key;
  std::optional<bool> is_ca;
  // Exact matches, to find a certificate that CMS identifies (IssuerAndSerialNumber,
  // SubjectKeyIdentifier) or a CA by name; empty: not filtered.
  std::string issuer;          // one-line DN, as CertificateRecord::issuer
  std::string serial;          // hex, case-insensitive
  std::string subject_key_id;  // hex, case-insensitive
  std::string subject;         // one-line DN, exact
  int limit = 0;               // 0: no limit
};

enum class DefaultBehaviour { sign_encrypt, sign, encrypt, none };

struct GroupRecord {
  std::string name;
  std::string email;
  DefaultBehaviour behaviour = DefaultBehaviour::sign_encrypt;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  // The group's own verification policy for incoming mail to its address; unset: the
  // appliance's ([verification] revocation / reject_sha1).
  std::optional<bool> revocation_hard = std::nullopt;  // unknown revocation: hard (true) or soft
  std::optional<bool> reject_sha1 = std::nullopt;      // SHA-1 invalid (true) or weak (false)
};

struct CrlRecord {
  std::int64_t id = 0;
  std::string issuer;         // one line, as CertificateRecord::subject of the CA
  std::string issuer_sha256;  // fingerprint of the CA certificate that signed it
  std::vector<unsigned char> der;
  std::int64_t this_update = 0;
  std::int64_t next_update = 0;  // 0 when absent
  std::string crl_number;        // decimal, empty when absent
  std::int64_t imported_at = 0;
};

// What a contact announced it can decrypt (RFC 8551 §2.5.2 SMIMECapabilities), in a signed
// message whose signature verified, recorded for the certificate that signed it (issue 17).
struct CapabilitiesRecord {
  std::string sha256;  // the signer's certificate (a stored one)
  // In the announced order (the sender's preference): "aes256-gcm", "aes128-gcm", "aes256-cbc",
  // "rsaes-oaep", "rsaes-oaep-sha256", ...; capabilities without a name here as dotted OIDs.
  std::vector<std::string> capabilities;
  // The announcing signature's signingTime (unix seconds, capped at its receipt); 0 when the
  // signature had none. A record is replaced only by one at least as new.
  std::int64_t signing_time = 0;
  std::string message_id;  // the message that announced them (without <>), may be empty
  std::int64_t recorded_at = 0;
};

struct RevokedEntry {
  std::string serial;  // lowercase hex
  std::int64_t revoked_at = 0;
  std::string reason;  // "keyCompromise", ... or empty
};

}  // namespace smime::store
