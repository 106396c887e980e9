// The legacy-certificate policy and PKCS#12 imports with a CA already stored (issue 17 items 1
// and 2), through the service against a real token and each store backend: a certificate
// with its address only in the subject DN, or without Key Usage, is refused naming the rule
// without the policy and stored with its marker under it; a stored CA in a PKCS#12 file is
// `present`, not a failure.
#include <gtest/gtest.h>

#include "smime/certs/certificate_info.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/service/json_views.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/store_backends.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

class LegacyImportTest : public SoftHsmTest, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<BackendDatabase>(GetParam());
    service_ = std::make_unique<service::CertificateService>(database_->store(), key_store());
    ca_ = issue_certificate(CertificateSpec::authority("Legacy Test CA", "rsa-2048"));
  }
  service::ImportReport import(const std::vector<unsigned char>& input, bool legacy,
                               const char* passphrase = nullptr) {
    service_->set_rule_policy({legacy});
    std::optional<SecretString> secret;
    if (passphrase != nullptr) secret.emplace(passphrase);
    return service_->import_certificates(input, secret ? &*secret : nullptr);
  }
  // Bob's kind of certificate: the address only in the subject's emailAddress, no SAN.
  IssuedCertificate subject_only(const std::string& email) {
    CertificateSpec spec = CertificateSpec::smime(email);
    spec.emails.clear();
    spec.subject_email = email;
    spec.issued_by(ca_);
    return issue_certificate(spec);
  }
  // Fran's kind: an rfc822Name, but no Key Usage extension at all.
  IssuedCertificate without_key_usage(const std::string& email, const std::string& kind) {
    CertificateSpec spec = CertificateSpec::smime(email, kind);
    spec.key_usages.clear();
    spec.issued_by(ca_);
    return issue_certificate(spec);
  }
  void store_ca() { ASSERT_EQ(import(as_bytes(pem(ca_.cert.get())), false).imported.size(), 1u); }

  std::unique_ptr<BackendDatabase> database_;
  std::unique_ptr<service::CertificateService> service_;
  IssuedCertificate ca_;
};

INSTANTIATE_TEST_SUITE_P(Backends, LegacyImportTest, kAllBackends, backend_test_name);

TEST_P(LegacyImportTest, SubjectOnlyAddressIsRefusedNamingTheRuleWithoutThePolicy) {
  store_ca();
  IssuedCertificate bob = subject_only("Bob@example.com");
  const auto report =
      import(pkcs12(bob.cert.get(), bob.key.get(), {ca_.cert.get()}, "nss"), false, "nss");
  EXPECT_TRUE(report.imported.empty());
  ASSERT_EQ(report.errors.size(), 2u);  // the leaf's rule, then the key without a certificate
  EXPECT_EQ(report.errors[0].rule, "subject_alt_name_email");
  EXPECT_NE(report.errors[0].message.find("[certificates] legacy = true"), std::string::npos);
  EXPECT_EQ(report.errors[1].kind, "key");
  EXPECT_FALSE(report.succeeded());
  EXPECT_EQ(database_->store().find_certificates({}).size(), 1u);  // only the CA
}

TEST_P(LegacyImportTest, Pkcs12UnderThePolicyStoresTheLeafWithItsMarkerAndTheCaIsPresent) {
  store_ca();
  IssuedCertificate bob = subject_only("Bob@example.com");
  const auto report =
      import(pkcs12(bob.cert.get(), bob.key.get(), {ca_.cert.get()}, "nss"), true, "nss");
  EXPECT_TRUE(report.errors.empty()) << report.errors.front().message;
  ASSERT_EQ(report.imported.size(), 1u);
  EXPECT_TRUE(report.imported[0].key_imported);
  EXPECT_EQ(report.imported[0].record.legacy_rules,
            std::vector<std::string>{"subject_alt_name_email"});
  ASSERT_EQ(report.present.size(), 1u);
  EXPECT_TRUE(report.present[0].record.is_ca);
  EXPECT_EQ(report.present[0].record.sha256, certs::sha256_fingerprint(ca_.cert.get()));
  EXPECT_TRUE(report.succeeded());
  const nlohmann::json json = service::to_json(report);
  EXPECT_EQ(json["present"].size(), 1u);
  EXPECT_EQ(json["imported"][0]["legacy"], true);
  EXPECT_NE(json["imported"][0]["relaxed"].get<std::string>().find("subject (emailAddress)"),
            std::string::npos);

  // Stored with the subject's address and the marker, so mail to Bob can be encrypted.
  const auto stored = database_->store().certificate(report.imported[0].record.sha256);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->emails, std::vector<std::string>{"bob@example.com"});
  EXPECT_EQ(stored->legacy_rules, std::vector<std::string>{"subject_alt_name_email"});
  EXPECT_TRUE(stored->token_key_id.has_value());
  EXPECT_TRUE(service_->encryption_certificate("bob@example.com").certificate.has_value());
}

TEST_P(LegacyImportTest, NoKeyUsageIsEveryUsageUnderThePolicyForRsaAndEc) {
  store_ca();
  for (const char* kind : {"rsa-2048", "ec-p384"}) {
    SCOPED_TRACE(kind);
    const std::string email = std::string("fran-") + kind + "@example.com";
    IssuedCertificate fran = without_key_usage(email, kind);
    const auto p12 = pkcs12(fran.cert.get(), fran.key.get(), {}, "nss");
    const auto refused = import(p12, false, "nss");
    ASSERT_FALSE(refused.errors.empty());
    EXPECT_EQ(refused.errors[0].rule, "key_usage");
    EXPECT_NE(refused.errors[0].message.find("legacy = true"), std::string::npos);

    const auto report = import(p12, true, "nss");
    EXPECT_TRUE(report.errors.empty()) << report.errors.front().message;
    ASSERT_EQ(report.imported.size(), 1u);
    const auto stored = database_->store().certificate(report.imported[0].record.sha256);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->legacy_rules, std::vector<std::string>{"key_usage"});
    EXPECT_TRUE(stored->can_sign);
    EXPECT_TRUE(stored->can_encrypt);
    EXPECT_TRUE(stored->token_key_id.has_value());
  }
}

TEST_P(LegacyImportTest, AModernCertificateIsNotMarkedUnderThePolicy) {
  CertificateSpec spec = CertificateSpec::smime("modern@example.com");
  spec.issued_by(ca_);
  IssuedCertificate modern = issue_certificate(spec);
  const auto report = import(as_bytes(pem(modern.cert.get())), true);
  ASSERT_EQ(report.imported.size(), 1u);
  EXPECT_TRUE(report.imported[0].record.legacy_rules.empty());
  EXPECT_TRUE(database_->store()
                  .certificate(certs::sha256_fingerprint(modern.cert.get()))
                  ->legacy_rules.empty());
}

TEST_P(LegacyImportTest, StoredLeafAndCaArePresentWhenOnlyTheKeyIsNew) {
  // The certificates came first (a PEM bundle), the PKCS#12 file brings the key: success.
  CertificateSpec spec = CertificateSpec::smime("carol@example.com");
  spec.issued_by(ca_);
  IssuedCertificate carol = issue_certificate(spec);
  const std::string bundle = pem(ca_.cert.get()) + pem(carol.cert.get());
  ASSERT_EQ(import(as_bytes(bundle), false).imported.size(), 2u);
  const auto report =
      import(pkcs12(carol.cert.get(), carol.key.get(), {ca_.cert.get()}, "pw"), false, "pw");
  EXPECT_TRUE(report.errors.empty()) << report.errors.front().message;
  EXPECT_TRUE(report.imported.empty());
  ASSERT_EQ(report.present.size(), 2u);
  EXPECT_TRUE(report.succeeded());
  bool leaf_key = false;
  for (const auto& p : report.present) leaf_key = leaf_key || (!p.record.is_ca && p.key_imported);
  EXPECT_TRUE(leaf_key);

  // The same file again adds nothing: the key is the failure that decides.
  const auto again =
      import(pkcs12(carol.cert.get(), carol.key.get(), {ca_.cert.get()}, "pw"), false, "pw");
  EXPECT_FALSE(again.succeeded());
  ASSERT_EQ(again.errors.size(), 1u);
  EXPECT_EQ(again.errors[0].kind, "key");
}

TEST_P(LegacyImportTest, ADuplicateInAPemBundleIsStillADuplicate) {
  store_ca();
  const auto report = import(as_bytes(pem(ca_.cert.get())), false);
  EXPECT_TRUE(report.present.empty());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].kind, "duplicate");
}

}  // namespace
}  // namespace smime::test
