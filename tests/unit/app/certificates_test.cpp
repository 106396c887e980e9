// Certificate administration through the use cases: an import is audited with what it stored
// (and as failed when it stored nothing), a deletion with its key keeps a key that another
// stored certificate still uses.
#include <gtest/gtest.h>

#include "app_fixture.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

class CertificateUseCasesTest : public AppTest {};

TEST_F(CertificateUseCasesTest, ImportIsAuditedWithEveryStoredCertificate) {
  IssuedCertificate alice = issue_certificate(CertificateSpec::smime("alice@example.com"));
  IssuedCertificate bob = issue_certificate(CertificateSpec::smime("bob@example.com", "ec-p256"));
  CertificateSpec no_email = CertificateSpec::smime("carol@example.com");
  no_email.emails = {};
  IssuedCertificate carol = issue_certificate(no_email);
  const std::string bundle = pem_bundle({alice.cert.get(), bob.cert.get(), carol.cert.get()});
  const auto bytes = as_bytes(bundle);
  app::CertificateImport request;
  request.input = bytes;
  request.source = "contacts.pem";

  const service::ImportReport report = app_->certificates.import_certificates(caller_, request);
  ASSERT_EQ(report.imported.size(), 2u);
  EXPECT_EQ(report.failed(), 1u);
  const audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::certificate_import);
  EXPECT_EQ(entry.event.status, audit::Status::ok);
  EXPECT_EQ(entry.event.fingerprints, (std::vector<std::string>{report.imported[0].record.sha256,
                                                                report.imported[1].record.sha256}));
  EXPECT_EQ(entry.event.addresses,
            (std::vector<std::string>{"alice@example.com", "bob@example.com"}));
  EXPECT_EQ(entry.event.detail.rfind("contacts.pem: 2 imported, 1 not imported", 0), 0u)
      << entry.event.detail;
  EXPECT_EQ(app_->certificates.list({}).size(), 2u);
}

TEST_F(CertificateUseCasesTest, ImportThatStoresNothingIsAuditedAsFailed) {
  CertificateSpec no_email = CertificateSpec::smime("carol@example.com");
  no_email.emails = {};
  IssuedCertificate carol = issue_certificate(no_email);
  const std::string text = pem(carol.cert.get());
  const auto bytes = as_bytes(text);
  app::CertificateImport request;
  request.input = bytes;

  const service::ImportReport report = app_->certificates.import_certificates(caller_, request);
  EXPECT_TRUE(report.imported.empty());
  ASSERT_EQ(report.errors.size(), 1u);
  const audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.status, audit::Status::failed);
  EXPECT_NE(entry.event.detail.find(report.errors[0].message), std::string::npos)
      << entry.event.detail;
  EXPECT_TRUE(app_->certificates.list({}).empty());
}

TEST_F(CertificateUseCasesTest, DeletionWithItsKeyKeepsAKeyAnotherCertificateUses) {
  EvpPkeyPtr key = generate_software_key("rsa-2048");
  CertificateSpec first = CertificateSpec::smime("org@example.org");
  first.key = key.get();
  CertificateSpec second = first;
  second.common_name = "Org renewed";
  IssuedCertificate old_cert = issue_certificate(first);
  IssuedCertificate new_cert = issue_certificate(second);
  const std::string old_fp = import_certificate(old_cert.cert.get());
  const std::string new_fp = import_certificate(new_cert.cert.get());
  const std::string key_pem = pem_pkcs8(key.get());
  const auto key_bytes = as_bytes(key_pem);
  app::KeyImport import;
  import.key_file = key_bytes;
  const app::ImportedKey imported = app_->keys.import_key(caller_, import);
  ASSERT_EQ(imported.certificates.size(), 2u) << "one key for both certificates";

  const app::DeletedCertificate first_deleted = app_->certificates.remove(caller_, old_fp, true);
  EXPECT_FALSE(first_deleted.key_deleted);
  EXPECT_TRUE(keys_.find(imported.token_key_id).has_value());
  EXPECT_EQ(newest_entry().event.detail, "certificate deleted");

  const app::DeletedCertificate second_deleted = app_->certificates.remove(caller_, new_fp, true);
  EXPECT_TRUE(second_deleted.key_deleted);
  EXPECT_FALSE(keys_.find(imported.token_key_id).has_value());
  EXPECT_EQ(newest_entry().event.detail, "certificate and its key deleted");
  EXPECT_TRUE(app_->certificates.list({}).empty());
}

TEST_F(CertificateUseCasesTest, CertificateWhoseDeletionCannotBeAuditedStaysWithItsKey) {
  IssuedCertificate alice = issue_certificate(CertificateSpec::smime("alice@example.com"));
  const std::string fingerprint = import_certificate(alice.cert.get());
  const std::string key_pem = pem_pkcs8(alice.key.get());
  const auto key_bytes = as_bytes(key_pem);
  app::KeyImport import;
  import.key_file = key_bytes;
  const std::string key_id = app_->keys.import_key(caller_, import).token_key_id;
  refuse_audit_entries();

  EXPECT_THROW(app_->certificates.remove(caller_, fingerprint, true), Error);
  EXPECT_EQ(app_->certificates.show(fingerprint).record.token_key_id, key_id);
  EXPECT_TRUE(keys_.find(key_id).has_value());
}

}  // namespace
}  // namespace smime::test
