// What the appliance records about a certificate, and the seed's S/MIME acceptance rules.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "smime/certs/descriptions.hpp"
#include "smime/certs/import_limits.hpp"
#include "smime/common/handles.hpp"

namespace smime::certs {

// What the certificate says about itself (fingerprints, names, validity, key, usages).
CertificateDescription describe_certificate(const X509* certificate);

std::string sha256_fingerprint(const X509* certificate);  // lowercase hex

// The Subject Alternative Name's rfc822Name entries as they are encoded (case, duplicates and
// any bytes kept), in order.
std::vector<std::string> rfc822_names(const X509* certificate);

struct RuleViolation {
  std::string rule;  // "subject_alt_name_email", "key_usage", "key_type", "extended_key_usage"
  // e.g. "The certificate has no email address (rfc822Name) in its Subject Alternative Name"
  std::string message;
};

// SPEC §6: a CA (basicConstraints CA:TRUE) passes unchecked; any other certificate needs an
// rfc822Name SAN, Key Usage with digitalSignature and/or keyEncipherment (keyAgreement counts
// for EC), an RSA or EC key, and emailProtection in the EKU when an EKU is present.
// Before those (issue 11 item 12): every rfc822Name must be an address, local@domain with no
// control character (NUL, CR, LF, ESC, ...), no space and valid UTF-8
// ("subject_alt_name_email_syntax"), and there may be at most
// ImportLimits::emails_per_certificate of them ("subject_alt_name_email_count").
// Returns the first rule broken, in that order.
std::optional<RuleViolation> check_smime_rules(const X509* certificate,
                                               const ImportLimits& limits = {});

// The legacy-certificate policy (issue 17, `[certificates] legacy = true`), off by default:
// for an end-entity certificate the subject DN's emailAddress counts when the SAN has no
// rfc822Name (RFC 8550 §3), and no Key Usage extension means every usage (RFC 5280 §4.2.1.3).
struct RulePolicy {
  bool legacy = false;
};

// The rules' verdict under a policy. `relaxed` names the rules ("subject_alt_name_email",
// "key_usage") the certificate passes only because of the legacy policy; without the policy
// such a certificate is refused with that rule, and the message says that the legacy policy
// would accept it.
struct RuleCheck {
  std::optional<RuleViolation> violation;
  std::vector<std::string> relaxed;
};
RuleCheck judge_certificate(const X509* certificate, const ImportLimits& limits,
                            const RulePolicy& policy);

// The subject DN's emailAddress values that are addresses (local@domain, no control
// character or space, valid UTF-8), lowercased, without duplicates, in order.
std::vector<std::string> subject_emails(const X509* certificate);

// What a certificate accepted under the relaxed rules is used for: the subject's addresses
// when "subject_alt_name_email" was relaxed, every usage of its key type when "key_usage" was.
void apply_relaxed_rules(const X509* certificate, const std::vector<std::string>& relaxed,
                         CertificateDescription& description);

enum class Validity { valid, expired, not_yet_valid };
Validity validity_at(std::int64_t not_before, std::int64_t not_after, std::time_t now);
inline Validity validity_at(const CertificateDescription& certificate, std::time_t now) {
  return validity_at(certificate.not_before, certificate.not_after, now);
}
const char* to_string(Validity validity);

X509Ptr parse_der_certificate(const std::vector<unsigned char>& der);  // throws invalid_input

// Building blocks shared by certificates and CRLs, so both describe names, serials and times
// the same way (a CRL's issuer compares equal to its CA's subject; revoked serials to serials).
std::string one_line_name(const X509_NAME* name);    // RFC 2253 order, UTF-8 kept readable
std::string serial_hex(const ASN1_INTEGER* serial);  // lowercase hex, "-" for a negative one
std::int64_t unix_time(const ASN1_TIME* time);       // throws invalid_input when unreadable

}  // namespace smime::certs
