// SPEC §6: one certificate per rule that breaks exactly that rule and passes all others.
#include <gtest/gtest.h>

#include <string>

#include "smime/certs/certificate_info.hpp"
#include "support/test_certs.hpp"

namespace smime::certs {
namespace {

using test::CertificateSpec;
using test::issue_certificate;

std::optional<RuleViolation> check(const CertificateSpec& spec) {
  return check_smime_rules(issue_certificate(spec).cert.get());
}

void expect_violation(const CertificateSpec& spec, const std::string& rule,
                      const std::string& message) {
  const auto violation = check(spec);
  ASSERT_TRUE(violation.has_value()) << "expected rule " << rule;
  EXPECT_EQ(violation->rule, rule);
  EXPECT_EQ(violation->message, message);
}

CertificateSpec valid_rsa() {
  return CertificateSpec::smime("rsa@example.com", "rsa-2048");
}
CertificateSpec valid_ec() {
  return CertificateSpec::smime("ec@example.com", "ec-p256");
}

TEST(SmimeRulesTest, TypicalCertificatesPass) {
  EXPECT_FALSE(check(valid_rsa()).has_value());
  EXPECT_FALSE(check(valid_ec()).has_value());
}

TEST(SmimeRulesTest, NoSubjectAltName) {
  CertificateSpec spec = valid_ec();
  spec.emails.clear();
  spec.subject_email = "in-subject@example.com";  // emailAddress in the subject does not count
  expect_violation(
      spec, "subject_alt_name_email",
      "The certificate has no email address (rfc822Name) in its Subject Alternative Name; its "
      "address is only in the subject (emailAddress) (the legacy-certificate policy, "
      "[certificates] legacy = true, would accept it)");
}

TEST(SmimeRulesTest, SubjectAltNameWithOnlyDns) {
  CertificateSpec spec = valid_ec();
  spec.emails.clear();
  spec.dns_names = {"mail.example.com"};
  expect_violation(
      spec, "subject_alt_name_email",
      "The certificate has no email address (rfc822Name) in its Subject Alternative Name");
}

TEST(SmimeRulesTest, KeyUsageWithoutEitherBit) {
  CertificateSpec spec = valid_rsa();
  spec.key_usages = {"nonRepudiation", "dataEncipherment"};
  expect_violation(spec, "key_usage",
                   "The certificate's Key Usage allows neither digitalSignature nor "
                   "keyEncipherment");
}

TEST(SmimeRulesTest, KeyAgreementDoesNotCountForRsa) {
  CertificateSpec spec = valid_rsa();
  spec.key_usages = {"keyAgreement"};
  const auto violation = check(spec);
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->rule, "key_usage");
}

TEST(SmimeRulesTest, NoKeyUsageAtAll) {
  CertificateSpec spec = valid_ec();
  spec.key_usages.clear();
  const auto violation = check(spec);
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->rule, "key_usage");
  EXPECT_NE(violation->message.find("no Key Usage"), std::string::npos) << violation->message;
}

TEST(SmimeRulesTest, EachUsageBitAloneIsEnough) {
  for (const char* usage : {"digitalSignature", "keyEncipherment"}) {
    SCOPED_TRACE(usage);
    CertificateSpec spec = valid_rsa();
    spec.key_usages = {usage};
    EXPECT_FALSE(check(spec).has_value());
  }
}

TEST(SmimeRulesTest, EcWithOnlyKeyAgreementPasses) {
  CertificateSpec spec = valid_ec();
  spec.key_usages = {"keyAgreement"};
  EXPECT_FALSE(check(spec).has_value());
}

TEST(SmimeRulesTest, DsaKeyIsRejected) {
  CertificateSpec spec = CertificateSpec::smime("dsa@example.com", "dsa");
  spec.key_usages = {"digitalSignature"};
  expect_violation(spec, "key_type",
                   "The certificate's public key is DSA; only RSA and EC keys are supported");
}

TEST(SmimeRulesTest, Ed25519KeyIsRejected) {
  CertificateSpec spec = CertificateSpec::smime("ed@example.com", "ed25519");
  spec.key_usages = {"digitalSignature"};
  expect_violation(spec, "key_type",
                   "The certificate's public key is ED25519; only RSA and EC keys are supported");
}

TEST(SmimeRulesTest, ExtendedKeyUsageWithoutEmailProtection) {
  CertificateSpec spec = valid_ec();
  spec.extended_key_usages = {"serverAuth"};
  expect_violation(spec, "extended_key_usage",
                   "The certificate's Extended Key Usage does not include emailProtection");
}

TEST(SmimeRulesTest, ExtendedKeyUsageIsOptionalOrMayListMore) {
  CertificateSpec none = valid_ec();
  none.extended_key_usages.clear();
  EXPECT_FALSE(check(none).has_value());

  CertificateSpec more = valid_rsa();
  more.extended_key_usages = {"clientAuth", "emailProtection"};
  EXPECT_FALSE(check(more).has_value());
}

TEST(SmimeRulesTest, CaBypassesAllRules) {
  CertificateSpec ca = CertificateSpec::authority("Rules CA");
  ASSERT_TRUE(ca.emails.empty());
  EXPECT_FALSE(check(ca).has_value());

  // Even with usages and an EKU that would fail an end-entity certificate.
  ca.key_usages.clear();
  ca.extended_key_usages = {"serverAuth"};
  EXPECT_FALSE(check(ca).has_value());
}

TEST(SmimeRulesTest, CaFalseIsChecked) {
  CertificateSpec spec = valid_ec();
  spec.emails.clear();
  spec.basic_constraints = true;  // CA:FALSE
  ASSERT_TRUE(check(spec).has_value());
}

TEST(SmimeRulesTest, FirstBrokenRuleInSeedOrderIsReported) {
  CertificateSpec spec = CertificateSpec::smime("x@example.com", "ed25519");
  spec.emails.clear();
  spec.key_usages.clear();
  spec.extended_key_usages = {"serverAuth"};
  EXPECT_EQ(check(spec)->rule, "subject_alt_name_email");
  spec.emails = {"x@example.com"};
  EXPECT_EQ(check(spec)->rule, "key_usage");
  spec.key_usages = {"digitalSignature"};
  EXPECT_EQ(check(spec)->rule, "key_type");
}

// Issue 11 item 12: an rfc822Name that is not an address is refused and the rule named.
TEST(SmimeRulesTest, EmailsWithControlCharactersOrInvalidUtf8AreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string("a\0b@example.com", 15), "contains a control character"},
      {"a@example.com\r\nBcc: x@evil.example", "contains a control character"},
      {"a\x1b[31m@example.com", "contains a control character"},
      {"a\x7f@example.com", "contains a control character"},
      {"a\xc2\x9b@example.com", "contains a control character"},  // C1 CSI
      {"a\xff@example.com", "is not valid UTF-8"},
      {"a b@example.com", "contains a space"},
      {"no-at-sign.example.com", "is not of the form local@domain"},
      {"@example.com", "is not of the form local@domain"},
  };
  for (const auto& [email, problem] : cases) {
    CertificateSpec spec = valid_rsa();
    spec.emails = {"good@example.com", email};
    const auto violation = check(spec);
    ASSERT_TRUE(violation.has_value()) << email;
    EXPECT_EQ(violation->rule, "subject_alt_name_email_syntax") << email;
    EXPECT_NE(violation->message.find("Email address 2"), std::string::npos) << violation->message;
    EXPECT_NE(violation->message.find(problem), std::string::npos) << violation->message;
    // The message itself is safe to print.
    EXPECT_EQ(violation->message.find('\x1b'), std::string::npos);
    EXPECT_EQ(violation->message.find('\n'), std::string::npos);
  }
  CertificateSpec international = valid_rsa();
  international.emails = {"j\xc3\xbcrgen@example.com"};  // UTF-8 local part (RFC 8398)
  EXPECT_FALSE(check(international).has_value());
}

TEST(SmimeRulesTest, ControlCharactersAreRefusedInCaCertificatesToo) {
  CertificateSpec spec = CertificateSpec::authority("Example CA");
  spec.emails = {"ca\n@example.com"};
  const auto violation = check(spec);
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->rule, "subject_alt_name_email_syntax");
}

TEST(SmimeRulesTest, TooManyEmailsAreRefused) {
  CertificateSpec spec = valid_ec();
  spec.emails.clear();
  for (int i = 0; i < 1'001; ++i) spec.emails.push_back("u" + std::to_string(i) + "@example.com");
  const auto violation = check(spec);
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->rule, "subject_alt_name_email_count");
  EXPECT_NE(violation->message.find("1001 email addresses"), std::string::npos)
      << violation->message;
  spec.emails.resize(1'000);
  EXPECT_FALSE(check(spec).has_value());
}

TEST(SmimeRulesTest, HundredThousandSanEmailsAreDescribedInOnePass) {
  // The de-duplication was quadratic (50 s for 100,000 entries); now it is one pass.
  CertificateSpec spec = valid_ec();
  spec.emails.clear();
  for (int i = 0; i < 100'000; ++i)
    spec.emails.push_back("U" + std::to_string(i % 60'000) + "@example.com");
  const test::IssuedCertificate issued = issue_certificate(spec);
  const auto record = describe_certificate(issued.cert.get());
  ASSERT_EQ(record.emails.size(), 60'000u);  // lowercased, each once, in order
  EXPECT_EQ(record.emails.front(), "u0@example.com");
  EXPECT_EQ(check_smime_rules(issued.cert.get())->rule, "subject_alt_name_email_count");
}

// The legacy-certificate policy (issue 17 item 1): each relaxed rule is named, and only the
// two relaxations exist.
RuleCheck legacy_check(const CertificateSpec& spec) {
  return judge_certificate(issue_certificate(spec).cert.get(), ImportLimits{}, RulePolicy{true});
}

TEST(SmimeRulesLegacyTest, SubjectEmailCountsOnlyUnderTheLegacyPolicy) {
  CertificateSpec spec = valid_rsa();
  spec.emails.clear();
  spec.subject_email = "Bob@Example.com";
  test::IssuedCertificate issued = issue_certificate(spec);
  const RuleCheck strict = judge_certificate(issued.cert.get(), ImportLimits{}, RulePolicy{});
  ASSERT_TRUE(strict.violation.has_value());
  EXPECT_EQ(strict.violation->rule, "subject_alt_name_email");
  EXPECT_NE(strict.violation->message.find("legacy = true"), std::string::npos);
  EXPECT_TRUE(strict.relaxed.empty());

  const RuleCheck legacy = judge_certificate(issued.cert.get(), ImportLimits{}, RulePolicy{true});
  EXPECT_FALSE(legacy.violation.has_value()) << legacy.violation->message;
  EXPECT_EQ(legacy.relaxed, std::vector<std::string>{"subject_alt_name_email"});
  CertificateDescription description = describe_certificate(issued.cert.get());
  EXPECT_TRUE(description.emails.empty());
  apply_relaxed_rules(issued.cert.get(), legacy.relaxed, description);
  EXPECT_EQ(description.emails, std::vector<std::string>{"bob@example.com"});
}

TEST(SmimeRulesLegacyTest, NoEmailAnywhereIsRefusedEvenUnderTheLegacyPolicy) {
  CertificateSpec spec = valid_rsa();
  spec.emails.clear();
  const RuleCheck check = legacy_check(spec);
  ASSERT_TRUE(check.violation.has_value());
  EXPECT_EQ(check.violation->rule, "subject_alt_name_email");
  EXPECT_EQ(check.violation->message.find("legacy"), std::string::npos);  // it would not help
}

TEST(SmimeRulesLegacyTest, NoKeyUsageMeansEveryUsageUnderTheLegacyPolicy) {
  for (const char* kind : {"rsa-2048", "ec-p384"}) {
    SCOPED_TRACE(kind);
    CertificateSpec spec = CertificateSpec::smime("fran@example.com", kind);
    spec.key_usages.clear();
    test::IssuedCertificate issued = issue_certificate(spec);
    const auto strict = check_smime_rules(issued.cert.get());
    ASSERT_TRUE(strict.has_value());
    EXPECT_EQ(strict->rule, "key_usage");
    EXPECT_NE(strict->message.find("legacy = true"), std::string::npos) << strict->message;

    const RuleCheck legacy = judge_certificate(issued.cert.get(), ImportLimits{}, RulePolicy{true});
    EXPECT_FALSE(legacy.violation.has_value());
    EXPECT_EQ(legacy.relaxed, std::vector<std::string>{"key_usage"});
    CertificateDescription description = describe_certificate(issued.cert.get());
    EXPECT_FALSE(description.can_encrypt);
    apply_relaxed_rules(issued.cert.get(), legacy.relaxed, description);
    EXPECT_TRUE(description.can_sign);
    EXPECT_TRUE(description.can_encrypt);
  }
}

TEST(SmimeRulesLegacyTest, TheOtherRulesStayUnderTheLegacyPolicy) {
  CertificateSpec wrong_usage = valid_rsa();
  wrong_usage.key_usages = {"keyAgreement"};  // present but unusable: not relaxed
  EXPECT_EQ(legacy_check(wrong_usage).violation->rule, "key_usage");
  CertificateSpec server = valid_rsa();
  server.key_usages.clear();
  server.extended_key_usages = {"serverAuth"};
  const RuleCheck check = legacy_check(server);
  ASSERT_TRUE(check.violation.has_value());
  EXPECT_EQ(check.violation->rule, "extended_key_usage");
  EXPECT_TRUE(check.relaxed.empty());
  EXPECT_TRUE(legacy_check(valid_ec()).relaxed.empty());  // a modern certificate is not legacy
}

}  // namespace
}  // namespace smime::certs
