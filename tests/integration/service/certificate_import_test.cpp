// Certificate import through the service against a real token and each store backend (SQLite file,
// PostgreSQL database) (SPEC §6): bundles judged per certificate, every accepted format,
// duplicates, bad inputs, PKCS#12 keys into the token, selection of signer and recipient
// certificates, chains and CRLs.
#include <gtest/gtest.h>

#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"
#include "smime/service/certificate_service.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/store_backends.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

std::vector<unsigned char> bytes_of(const std::string& text) {
  return as_bytes(text);
}
std::string sha256_of(const IssuedCertificate& c) {
  return certs::sha256_fingerprint(c.cert.get());
}

class CertificateImportTest : public SoftHsmTest, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<BackendDatabase>(GetParam());
    store_ = &database_->store();
    service_ = std::make_unique<service::CertificateService>(*store_, key_store(),
                                                             [this] { return now_; });
  }
  std::size_t stored() { return store_->find_certificates({}).size(); }
  ErrorCode import_error(const std::vector<unsigned char>& input) {
    try {
      service_->import_certificates(input);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("PKCS#7"), std::string::npos) << e.what();
      return e.code();
    }
    return ErrorCode::internal;
  }

  std::time_t now_ = std::time(nullptr);
  std::unique_ptr<BackendDatabase> database_;
  store::Store* store_ = nullptr;
  std::unique_ptr<service::CertificateService> service_;
};

INSTANTIATE_TEST_SUITE_P(Backends, CertificateImportTest, kAllBackends, backend_test_name);

TEST_P(CertificateImportTest, BundleImportsFourAndNamesTheSanRuleForTheFifth) {
  IssuedCertificate root = issue_certificate(CertificateSpec::authority("Example Root CA"));
  IssuedCertificate intermediate =
      issue_certificate(CertificateSpec::authority("Example Issuing CA").issued_by(root));
  IssuedCertificate alice =
      issue_certificate(CertificateSpec::smime("alice@example.org").issued_by(intermediate));
  IssuedCertificate bob = issue_certificate(
      CertificateSpec::smime("bob@example.org", "ec-p256").issued_by(intermediate));
  CertificateSpec no_san = CertificateSpec::smime("nobody@example.org");
  no_san.emails.clear();
  no_san.common_name = "No SAN";
  IssuedCertificate nosan = issue_certificate(no_san.issued_by(intermediate));

  std::string bundle = pem_bundle({root.cert.get(), intermediate.cert.get(), alice.cert.get(),
                                   bob.cert.get(), nosan.cert.get()});
  service::ImportReport report = service_->import_certificates(bytes_of(bundle));
  ASSERT_EQ(report.imported.size(), 4u);
  ASSERT_EQ(report.errors.size(), 1u);
  // Each result names its place in the bundle.
  EXPECT_EQ(report.imported[0].item, "certificate 1");
  EXPECT_EQ(report.imported[3].item, "certificate 4");
  EXPECT_EQ(report.errors[0].item, "certificate 5");
  EXPECT_EQ(report.errors[0].kind, "rule");
  EXPECT_EQ(report.errors[0].rule, "subject_alt_name_email");
  EXPECT_NE(report.errors[0].message.find("Subject Alternative Name"), std::string::npos);
  EXPECT_NE(report.errors[0].subject.find("No SAN"), std::string::npos);
  EXPECT_EQ(stored(), 4u);

  // Of a chain file only the self-signed root becomes a trust anchor; the intermediate and the
  // leaves only help path building (issue 16), so the leaves chain through it to the root.
  EXPECT_TRUE(report.imported[0].record.trusted);
  EXPECT_FALSE(report.imported[1].record.trusted);
  EXPECT_FALSE(report.imported[2].record.trusted);
  auto alice_record = store_->certificate(sha256_of(alice));
  ASSERT_TRUE(alice_record);
  EXPECT_FALSE(alice_record->trusted);
  certs::ChainResult chain = service_->chain_for(*alice_record);
  EXPECT_TRUE(chain.trusted) << chain.error;
  ASSERT_EQ(chain.chain.size(), 3u);
  EXPECT_EQ(certs::sha256_fingerprint(chain.chain[1].get()), sha256_of(intermediate));
  EXPECT_EQ(certs::sha256_fingerprint(chain.chain[2].get()), sha256_of(root));
}

TEST_P(CertificateImportTest, DuplicateFingerprintIsReportedAndNothingChanges) {
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("dup@example.org"));
  EXPECT_EQ(service_->import_certificates(bytes_of(pem(c.cert.get()))).imported.size(), 1u);
  service::ImportReport again = service_->import_certificates(der(c.cert.get()));
  EXPECT_TRUE(again.imported.empty());
  ASSERT_EQ(again.errors.size(), 1u);
  EXPECT_EQ(again.errors[0].kind, "duplicate");
  EXPECT_EQ(again.errors[0].message, "Fingerprint already taken");
  EXPECT_EQ(stored(), 1u);
}

TEST_P(CertificateImportTest, DerPkcs7AndTrustedCertificateFormats) {
  IssuedCertificate a = issue_certificate(CertificateSpec::smime("der@example.org"));
  IssuedCertificate b = issue_certificate(CertificateSpec::smime("p7a@example.org", "ec-p384"));
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("p7b@example.org"));
  IssuedCertificate d = issue_certificate(CertificateSpec::smime("trusted@example.org"));
  EXPECT_EQ(service_->import_certificates(der(a.cert.get())).imported.size(), 1u);
  EXPECT_EQ(service_->import_certificates(pkcs7_certs_only({b.cert.get()}, false)).imported.size(),
            1u);
  EXPECT_EQ(service_->import_certificates(pkcs7_certs_only({c.cert.get()}, true)).imported.size(),
            1u);
  EXPECT_EQ(service_->import_certificates(bytes_of(pem_trusted(d.cert.get()))).imported.size(), 1u);
  EXPECT_EQ(stored(), 4u);
}

TEST_P(CertificateImportTest, Pkcs12PutsTheKeyIntoTheTokenWithAndWithoutPassphrase) {
  for (const char* passphrase : {"p12 secret", static_cast<const char*>(nullptr)}) {
    const std::string email = passphrase ? "p12@example.org" : "p12-open@example.org";
    IssuedCertificate c = issue_certificate(CertificateSpec::smime(email, "ec-p256"));
    auto p12 = pkcs12(c.cert.get(), c.key.get(), {}, passphrase);
    SecretString pass(passphrase ? passphrase : "");
    service::ImportReport report = service_->import_certificates(p12, passphrase ? &pass : nullptr);
    ASSERT_EQ(report.imported.size(), 1u)
        << (report.errors.empty() ? "" : report.errors[0].message);
    EXPECT_TRUE(report.imported[0].key_imported);
    auto record = store_->certificate(report.imported[0].record.sha256);
    ASSERT_TRUE(record->token_key_id.has_value());
    auto key = key_store().find(*record->token_key_id);
    ASSERT_TRUE(key.has_value());
    EXPECT_FALSE(key->extractable);
  }
}

TEST_P(CertificateImportTest, Pkcs12WithWrongPassphraseIsRefusedAndNothingChanges) {
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("p12w@example.org"));
  auto p12 = pkcs12(c.cert.get(), c.key.get(), {}, "right");
  SecretString wrong("wrong");
  const auto keys_before = key_store().list().size();
  try {
    service_->import_certificates(p12, &wrong);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_passphrase);
  }
  EXPECT_EQ(stored(), 0u);
  EXPECT_EQ(key_store().list().size(), keys_before);
}

TEST_P(CertificateImportTest, InputThatIsNoCertificateNamesTheAcceptedFormats) {
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("x@example.org"));
  std::vector<unsigned char> garbage = {0x00, 0xff, 0x13, 0x37, 0x42, 0x99, 0x01, 0x02};
  EXPECT_EQ(import_error(garbage), ErrorCode::invalid_input);
  EXPECT_EQ(import_error(bytes_of(pem_pkcs8(generate_software_key("ec-p256").get()))),
            ErrorCode::invalid_input);
  std::string bad_utf8 =
      "-----BEGIN CERTIFICATE-----\n\xff\xfe\xc3\x28\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(import_error(bytes_of(bad_utf8)), ErrorCode::invalid_input);
  auto truncated = der(c.cert.get());
  truncated.resize(truncated.size() / 2);
  EXPECT_EQ(import_error(truncated), ErrorCode::invalid_input);
  EXPECT_EQ(import_error({}), ErrorCode::invalid_input);
  EXPECT_EQ(stored(), 0u);
}

TEST_P(CertificateImportTest, CaCertificateBypassesTheRules) {
  CertificateSpec ca = CertificateSpec::authority("Bare CA");
  ca.emails.clear();
  ca.key_usages = {"keyCertSign", "cRLSign"};
  ca.extended_key_usages = {"serverAuth"};
  IssuedCertificate issued = issue_certificate(ca);
  service::ImportReport report = service_->import_certificates(der(issued.cert.get()));
  ASSERT_EQ(report.imported.size(), 1u);
  EXPECT_TRUE(report.imported[0].record.is_ca);
}

TEST_P(CertificateImportTest, SigningSelectionPrefersNewestValidWithKeyAndNamesWhyNot) {
  const std::string who = "signer@example.org";
  EXPECT_NE(service_->signing_certificate(who).reason.find("was not found"), std::string::npos);

  CertificateSpec expired_spec = CertificateSpec::smime(who, "ec-p256");
  expired_spec.not_before_days = -400;
  expired_spec.not_after_days = -10;
  IssuedCertificate expired = issue_certificate(expired_spec);
  service_->import_certificates(der(expired.cert.get()));
  EXPECT_NE(service_->signing_certificate(who).reason.find("private key"), std::string::npos);

  auto import_key = [&](const IssuedCertificate& c) {
    std::string pem = pem_pkcs8(c.key.get());
    auto bytes = as_bytes(pem);
    service::KeyImportRequest request;
    request.key_file = bytes;
    service_->import_private_key(request);
  };
  import_key(expired);
  service::Selection none = service_->signing_certificate(who);
  EXPECT_FALSE(none.certificate);
  EXPECT_NE(none.reason.find("has expired"), std::string::npos) << none.reason;

  IssuedCertificate current = issue_certificate(CertificateSpec::smime(who, "ec-p256"));
  service_->import_certificates(der(current.cert.get()));
  import_key(current);
  service::Selection chosen = service_->signing_certificate("Signer@Example.org");
  ASSERT_TRUE(chosen.certificate);
  EXPECT_EQ(chosen.certificate->sha256, sha256_of(current));
}

TEST_P(CertificateImportTest, SeparateSigningAndEncryptionCertificatesForOneAddress) {
  const std::string who = "split@example.org";
  CertificateSpec sign_spec = CertificateSpec::smime(who);
  sign_spec.key_usages = {"digitalSignature"};
  CertificateSpec enc_spec = CertificateSpec::smime(who);
  enc_spec.key_usages = {"keyEncipherment"};
  IssuedCertificate sign_cert = issue_certificate(sign_spec);
  IssuedCertificate enc_cert = issue_certificate(enc_spec);
  service_->import_certificates(der(sign_cert.cert.get()));
  service_->import_certificates(der(enc_cert.cert.get()));
  std::string pem = pem_pkcs8(sign_cert.key.get());
  auto bytes = as_bytes(pem);
  service::KeyImportRequest request;
  request.key_file = bytes;
  service_->import_private_key(request);

  auto signer = service_->signing_certificate(who);
  ASSERT_TRUE(signer.certificate);
  EXPECT_EQ(signer.certificate->sha256, sha256_of(sign_cert));
  auto recipients = service_->encryption_certificates({who, "missing@example.org"});
  ASSERT_EQ(recipients.size(), 2u);
  ASSERT_TRUE(recipients[0].certificate);
  EXPECT_EQ(recipients[0].certificate->sha256, sha256_of(enc_cert));
  EXPECT_FALSE(recipients[1].certificate);
  EXPECT_EQ(recipients[1].reason, "The certificate for missing@example.org was not found");
}

TEST_P(CertificateImportTest, ExpiredAndNotYetValidAreNeverSelectedForOutgoingMail) {
  CertificateSpec old_spec = CertificateSpec::smime("old@example.org");
  old_spec.not_before_days = -400;
  old_spec.not_after_days = -1;
  CertificateSpec future_spec = CertificateSpec::smime("future@example.org");
  future_spec.not_before_days = 10;
  future_spec.not_after_days = 400;
  service_->import_certificates(der(issue_certificate(old_spec).cert.get()));
  service_->import_certificates(der(issue_certificate(future_spec).cert.get()));
  auto r = service_->encryption_certificates({"old@example.org", "future@example.org"});
  EXPECT_FALSE(r[0].certificate);
  EXPECT_NE(r[0].reason.find("has expired"), std::string::npos);
  EXPECT_FALSE(r[1].certificate);
  EXPECT_NE(r[1].reason.find("not valid yet"), std::string::npos);
}

// Selections are remembered for the hot path, but never past a change: the store's revision
// (import, CRL) or the moment a candidate expires or becomes valid.
TEST_P(CertificateImportTest, RememberedSelectionsFollowTheStoreAndTheClock) {
  CertificateSpec soon = CertificateSpec::smime("soon@example.org");
  soon.not_after_days = 2;
  service_->import_certificates(der(issue_certificate(soon).cert.get()));
  EXPECT_TRUE(service_->encryption_certificate("soon@example.org").certificate);
  EXPECT_TRUE(service_->encryption_certificate("soon@example.org").certificate);  // remembered

  now_ += 3 * 24 * 3600;  // past notAfter: the remembered answer must not be used
  service::Selection expired = service_->encryption_certificate("soon@example.org");
  EXPECT_FALSE(expired.certificate);
  EXPECT_NE(expired.reason.find("has expired"), std::string::npos) << expired.reason;

  // A newer certificate for the address: the store's revision changes, the answer too.
  CertificateSpec renewed = CertificateSpec::smime("soon@example.org");
  renewed.base_time = now_;
  IssuedCertificate fresh = issue_certificate(renewed);
  service_->import_certificates(der(fresh.cert.get()));
  service::Selection chosen = service_->encryption_certificate("SOON@example.org");
  ASSERT_TRUE(chosen.certificate);
  EXPECT_EQ(chosen.certificate->sha256, sha256_of(fresh));

  // Another process (node) changing the store is seen as well (the revision lives in the
  // database).
  auto other = database_->open_other_store();
  other->delete_certificate(sha256_of(fresh));
  EXPECT_FALSE(service_->encryption_certificate("soon@example.org").certificate);
}

TEST_P(CertificateImportTest, CrlFromAStoredCaMarksCertificatesRevoked) {
  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("CRL CA"));
  IssuedCertificate good =
      issue_certificate(CertificateSpec::smime("good@example.org").issued_by(ca));
  IssuedCertificate bad =
      issue_certificate(CertificateSpec::smime("bad@example.org").issued_by(ca));
  service_->import_certificates(
      bytes_of(pem_bundle({ca.cert.get(), good.cert.get(), bad.cert.get()})));
  auto crl = issue_crl(ca, {{bad.cert.get(), 1}}, 30, true);

  IssuedCertificate stranger = issue_certificate(CertificateSpec::authority("Unknown CA"));
  EXPECT_THROW(service_->import_crl(issue_crl(stranger, {}, 30, false)), Error);

  store::CrlRecord stored_crl = service_->import_crl(crl);
  EXPECT_EQ(stored_crl.issuer_sha256, sha256_of(ca));
  EXPECT_EQ(service_->status(*store_->certificate(sha256_of(bad))),
            service::CertificateStatus::revoked);
  EXPECT_EQ(service_->status(*store_->certificate(sha256_of(good))),
            service::CertificateStatus::valid);
  auto r = service_->encryption_certificates({"bad@example.org"});
  EXPECT_FALSE(r[0].certificate);
  EXPECT_NE(r[0].reason.find("revoked"), std::string::npos);
}

// Issue 11 item 10: a bundle of 50,000 broken blocks is reported as one counted failure, and
// a refusal does not echo every block.
TEST_P(CertificateImportTest, RepeatedFailuresAreSummarisedWithACount) {
  const std::string broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  std::string bundle;
  for (int i = 0; i < 50'000; ++i) bundle += broken;
  try {
    service_->import_certificates(bytes_of(bundle));
    ADD_FAILURE() << "a bundle without a certificate was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_LT(std::string(e.what()).size(), 1'000u) << std::string(e.what()).substr(0, 300);
    EXPECT_NE(std::string(e.what()).find("PEM block 1 and 49999 more"), std::string::npos)
        << e.what();
  }

  IssuedCertificate good = issue_certificate(CertificateSpec::smime("good@example.com"));
  CertificateSpec no_email = CertificateSpec::smime("x@example.com");
  no_email.emails.clear();
  std::string mixed = pem(good.cert.get()) + bundle;
  for (int i = 0; i < 30; ++i) {
    mixed += pem(issue_certificate(no_email).cert.get());  // 30 distinct certificates, one rule
  }
  const auto report = service_->import_certificates(bytes_of(mixed));
  ASSERT_EQ(report.imported.size(), 1u);
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_EQ(report.errors[0].kind, "invalid");
  EXPECT_EQ(report.errors[0].count, 50'000u);
  EXPECT_EQ(report.errors[1].rule, "subject_alt_name_email");
  EXPECT_EQ(report.errors[1].count, 30u);
  EXPECT_EQ(report.failed(), 50'030u);
}

TEST_P(CertificateImportTest, DistinctFailuresBeyondTheLimitAreOnlyCounted) {
  // Each certificate fails on its own SAN entry, so every message differs.
  std::string bundle;
  for (int i = 0; i < 25; ++i) {
    CertificateSpec spec = CertificateSpec::smime("x@example.com");
    spec.emails = {"bad" + std::to_string(i)};
    bundle += pem(issue_certificate(spec).cert.get());
  }
  const auto report = service_->import_certificates(bytes_of(bundle));
  EXPECT_EQ(report.errors.size(), certs::ImportLimits{}.reported_failures);
  EXPECT_EQ(report.errors_omitted, 25u - certs::ImportLimits{}.reported_failures);
  EXPECT_EQ(report.failed(), 25u);
}

TEST_P(CertificateImportTest, EmailWithAnEscapeSequenceIsRefusedByName) {
  CertificateSpec spec = CertificateSpec::smime("x@example.com");
  spec.emails = {"evil\x1b]0;pwned\x07@example.com"};
  const auto report =
      service_->import_certificates(bytes_of(pem(issue_certificate(spec).cert.get())));
  EXPECT_TRUE(report.imported.empty());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].rule, "subject_alt_name_email_syntax");
  EXPECT_EQ(stored(), 0u);
}

}  // namespace
}  // namespace smime::test
