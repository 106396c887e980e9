// The seed's acceptance rules for S/MIME certificates (SPEC §6), checked in the order the
// seed lists them so the first broken rule is the one reported.
#include <algorithm>

#include "smime/certs/certificate_info.hpp"
#include "smime/common/display_text.hpp"
#include "smime/common/text.hpp"

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

constexpr const char* kLegacyHint =
    " (the legacy-certificate policy, [certificates] legacy = true, would accept it)";

// The SAN rule: an rfc822Name, or under the legacy policy the subject's emailAddress.
std::optional<RuleViolation> check_email(const X509* certificate,
                                         const CertificateDescription& record,
                                         const RulePolicy& policy, RuleCheck& check) {
  if (!record.emails.empty()) return std::nullopt;
  const bool in_subject = !subject_emails(certificate).empty();
  if (in_subject && policy.legacy) {
    check.relaxed.push_back("subject_alt_name_email");
    return std::nullopt;
  }
  std::string message =
      "The certificate has no email address (rfc822Name) in its Subject Alternative Name";
  if (in_subject)
    message += "; its address is only in the subject (emailAddress)" + std::string(kLegacyHint);
  return RuleViolation{"subject_alt_name_email", std::move(message)};
}

std::optional<RuleViolation> check_key_usage(const X509* certificate,
                                             const CertificateDescription& record,
                                             const RulePolicy& policy, RuleCheck& check) {
  if (!has_extension(certificate, EXFLAG_KUSAGE)) {
    if (policy.legacy) {
      check.relaxed.push_back("key_usage");
      return std::nullopt;
    }
    return RuleViolation{"key_usage",
                         "The certificate has no Key Usage extension; it must allow "
                         "digitalSignature and/or keyEncipherment" +
                             std::string(kLegacyHint)};
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
  return std::nullopt;
}

}  // namespace

std::vector<std::string> subject_emails(const X509* certificate) {
  std::vector<std::string> emails;
  const X509_NAME* subject = X509_get_subject_name(certificate);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, i)) {
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    const std::string email =
        ascii_lower(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                     static_cast<std::size_t>(ASN1_STRING_length(value))));
    if (email_text_problem(email, true)) continue;
    if (std::find(emails.begin(), emails.end(), email) == emails.end()) emails.push_back(email);
  }
  return emails;
}

RuleCheck judge_certificate(const X509* certificate, const ImportLimits& limits,
                            const RulePolicy& policy) {
  RuleCheck check;
  const CertificateDescription record = describe_certificate(certificate);
  check.violation = check_san_emails(certificate, record.is_ca, limits);
  // A CA (trust anchor or intermediate) is accepted without the end-entity checks.
  if (check.violation || record.is_ca) return check;
  check.violation = check_email(certificate, record, policy, check);
  if (!check.violation) check.violation = check_key_usage(certificate, record, policy, check);
  if (!check.violation && record.key_algorithm != "RSA" && record.key_algorithm != "EC") {
    check.violation =
        RuleViolation{"key_type", "The certificate's public key is " + record.key_algorithm +
                                      "; only RSA and EC keys are supported"};
  }
  // Extended Key Usage is optional, but when present it must allow email protection.
  if (!check.violation && has_extension(certificate, EXFLAG_XKUSAGE) &&
      !contains(record.extended_key_usages, "emailProtection")) {
    check.violation =
        RuleViolation{"extended_key_usage",
                      "The certificate's Extended Key Usage does not include emailProtection"};
  }
  if (check.violation) check.relaxed.clear();
  return check;
}

std::optional<RuleViolation> check_smime_rules(const X509* certificate,
                                               const ImportLimits& limits) {
  return judge_certificate(certificate, limits, RulePolicy{}).violation;
}

void apply_relaxed_rules(const X509* certificate, const std::vector<std::string>& relaxed,
                         CertificateDescription& description) {
  for (const std::string& rule : relaxed) {
    if (rule == "subject_alt_name_email" && description.emails.empty()) {
      description.emails = subject_emails(certificate);
    } else if (rule == "key_usage") {
      description.can_sign = true;
      description.can_encrypt =
          description.key_algorithm == "RSA" || description.key_algorithm == "EC";
    }
  }
}

}  // namespace smime::certs
