// The seed's acceptance rules for S/MIME certificates (SPEC §6), checked in the order the
// seed lists them so the first broken rule is the one reported.
#include <algorithm>

#include "smime/certs/certificate_info.hpp"
#include "smime/common/display_text.hpp"

namespace smime::certs {
namespace {

bool contains(const std::vector<std::string>& list, const char* value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool has_extension(const X509* certificate, std::uint32_t flag) {
  return (X509_get_extension_flags(const_cast<X509*>(certificate)) & flag) != 0;
}

// Why an rfc822Name is not an address we can store and show, or nullopt. Control characters
// and invalid UTF-8 would reach terminals, logs and headers; CAs are held to this too.
std::optional<std::string> email_text_problem(std::string_view email, bool need_mailbox) {
  if (first_invalid_utf8(email)) return "is not valid UTF-8";
  for (std::size_t i = 0; i < email.size();) {
    const std::size_t length = utf8_sequence_length(email, i);
    if (is_control_character(email, i, length)) return "contains a control character";
    if (email[i] == ' ') return "contains a space";
    i += length;
  }
  if (!need_mailbox) return std::nullopt;
  const std::size_t at = email.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == email.size()) {
    return "is not of the form local@domain";
  }
  return std::nullopt;
}

std::optional<RuleViolation> check_san_emails(const X509* certificate, bool is_ca,
                                              const ImportLimits& limits) {
  const std::vector<std::string> emails = rfc822_names(certificate);
  if (emails.size() > limits.emails_per_certificate) {
    return RuleViolation{"subject_alt_name_email_count",
                         "The certificate has " + std::to_string(emails.size()) +
                             " email addresses in its Subject Alternative Name; at most " +
                             std::to_string(limits.emails_per_certificate) +
                             " are accepted (emails_per_certificate)"};
  }
  for (std::size_t i = 0; i < emails.size(); ++i) {
    if (auto problem = email_text_problem(emails[i], !is_ca)) {
      return RuleViolation{"subject_alt_name_email_syntax",
                           "Email address " + std::to_string(i + 1) +
                               " of the Subject Alternative Name (\"" +
                               escape_for_display(emails[i].substr(0, 80)) + "\") " + *problem};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<RuleViolation> check_smime_rules(const X509* certificate,
                                               const ImportLimits& limits) {
  const CertificateDescription record = describe_certificate(certificate);
  if (auto violation = check_san_emails(certificate, record.is_ca, limits)) return violation;
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
