// The seed's acceptance rules for S/MIME certificates (SPEC §6), checked in the order the
// seed lists them so the first broken rule is the one reported.
#include <algorithm>

#include "smime/certs/certificate_info.hpp"

namespace smime::certs {
namespace {

bool contains(const std::vector<std::string>& list, const char* value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool has_extension(const X509* certificate, std::uint32_t flag) {
  return (X509_get_extension_flags(const_cast<X509*>(certificate)) & flag) != 0;
}

}  // namespace

std::optional<RuleViolation> check_smime_rules(const X509* certificate) {
  const store::CertificateRecord record = describe_certificate(certificate);
  // A CA (trust anchor or intermediate) is accepted without the end-entity checks.
  if (record.is_ca) return std::nullopt;

  if (record.emails.empty()) {
    return RuleViolation{
        "subject_alt_name_email",
        "The certificate has no email address (rfc822Name) in its Subject Alternative Name"};
  }

  if (!has_extension(certificate, EXFLAG_KUSAGE)) {
    return RuleViolation{"key_usage",
                         "The certificate has no Key Usage extension; it must allow "
                         "digitalSignature and/or keyEncipherment"};
  }
  const bool is_ec = record.key_algorithm == "EC";
  const bool usable = contains(record.key_usages, "digitalSignature") ||
                      contains(record.key_usages, "keyEncipherment") ||
                      (is_ec && contains(record.key_usages, "keyAgreement"));
  if (!usable) {
    return RuleViolation{"key_usage",
                         "The certificate's Key Usage allows neither digitalSignature nor "
                         "keyEncipherment"};
  }

  if (record.key_algorithm != "RSA" && !is_ec) {
    return RuleViolation{"key_type", "The certificate's public key is " + record.key_algorithm +
                                         "; only RSA and EC keys are supported"};
  }

  // Extended Key Usage is optional, but when present it must allow email protection.
  if (has_extension(certificate, EXFLAG_XKUSAGE) &&
      !contains(record.extended_key_usages, "emailProtection")) {
    return RuleViolation{"extended_key_usage",
                         "The certificate's Extended Key Usage does not include emailProtection"};
  }
  return std::nullopt;
}

}  // namespace smime::certs
