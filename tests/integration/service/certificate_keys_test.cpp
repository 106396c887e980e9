// Private keys of stored certificates (SPEC §6) against a real token and each store backend (SQLite
// file, PostgreSQL database): import matched by public key, the indicator on the certificate,
// export only when exportable, deletion with the key.
#include <gtest/gtest.h>

#include "smime/common/error.hpp"
#include "smime/common/pem.hpp"
#include "smime/common/private_key_decoder.hpp"
#include "smime/provisioning/certificate_builder.hpp"
#include "smime/service/certificate_service.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/store_backends.hpp"
#include "support/test_keys.hpp"
#include "support/token_attributes.hpp"

namespace smime::test {
namespace {

class CertificateKeysTest : public SoftHsmTest, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<BackendDatabase>(GetParam());
    store_ = &database_->store();
    service_ = std::make_unique<service::CertificateService>(*store_, key_store());
  }

  struct Contact {
    EvpPkeyPtr key;
    std::string pem_cert;
    std::string fingerprint;
  };
  // A software key and its self-signed S/MIME certificate, imported into the store.
  Contact imported_contact(const char* kind, const std::string& email) {
    Contact c;
    c.key = generate_software_key(kind);
    auto cert = provisioning::build_self_signed({"", {email}}, c.key.get(), c.key.get(), 30);
    c.pem_cert = certificate_pem(cert.get());
    auto report = service_->import_certificates(as_bytes(c.pem_cert));
    EXPECT_EQ(report.imported.size(), 1u);
    EXPECT_TRUE(report.errors.empty());
    c.fingerprint = report.imported.at(0).record.sha256;
    return c;
  }

  // Imports a contact's key as an unencrypted PKCS#8 file.
  void import_key(const Contact& c, bool exportable = false) {
    std::string pem = pem_pkcs8(c.key.get());
    auto bytes = as_bytes(pem);
    service::KeyImportRequest request;
    request.key_file = bytes;
    request.exportable = exportable;
    service_->import_private_key(request);
  }

  std::unique_ptr<BackendDatabase> database_;
  store::Store* store_ = nullptr;
  std::unique_ptr<service::CertificateService> service_;
};

INSTANTIATE_TEST_SUITE_P(Backends, CertificateKeysTest, kAllBackends, backend_test_name);

TEST_P(CertificateKeysTest, KeyImportIsMatchedToItsCertificateAndStaysInTheToken) {
  Contact c = imported_contact("ec-p256", "alice@example.org");
  EXPECT_FALSE(service_->get(c.fingerprint).token_key_id.has_value());

  std::string pem = pem_encrypted_pkcs8(c.key.get(), "pass phrase");
  SecretString pass("pass phrase");
  service::KeyImportRequest request;
  auto bytes = as_bytes(pem);
  request.key_file = bytes;
  request.passphrase = &pass;
  auto owners = service_->import_private_key(request);
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners[0].sha256, c.fingerprint);

  store::CertificateRecord record = service_->get(c.fingerprint);
  ASSERT_TRUE(record.token_key_id.has_value()) << "the certificate shows its key indicator";
  EXPECT_FALSE(record.key_exportable);
  ObjectAttributes attrs = read_key_object(*shared_token(), *record.token_key_id, CKO_PRIVATE_KEY);
  EXPECT_EQ(attrs.count, 1u);
  EXPECT_TRUE(attrs.sensitive);
  EXPECT_FALSE(attrs.extractable);

  // A second import of the same key is refused.
  try {
    service_->import_private_key(request);
    FAIL() << "imported twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
  }
}

TEST_P(CertificateKeysTest, KeyWithoutCertificateIsRefusedAndNothingChanges) {
  imported_contact("rsa-2048", "bob@example.org");
  EvpPkeyPtr stranger = generate_software_key("rsa-2048");
  std::string pem = pem_pkcs8(stranger.get());
  auto bytes = as_bytes(pem);
  service::KeyImportRequest request;
  request.key_file = bytes;
  const auto tokens_before = key_store().list().size();
  try {
    service_->import_private_key(request);
    FAIL() << "a key without certificate was imported";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_STREQ(e.what(), "The certificate for this private key could not be found");
  }
  EXPECT_EQ(key_store().list().size(), tokens_before);
}

TEST_P(CertificateKeysTest, KeyForAnotherNamedCertificateIsRefused) {
  Contact a = imported_contact("ec-p256", "a@example.org");
  Contact b = imported_contact("ec-p256", "b@example.org");
  std::string pem = pem_pkcs8(a.key.get());
  auto bytes = as_bytes(pem);
  service::KeyImportRequest request;
  request.key_file = bytes;
  request.fingerprint = b.fingerprint;
  EXPECT_THROW(service_->import_private_key(request), Error);
  EXPECT_FALSE(service_->get(a.fingerprint).token_key_id.has_value());
  EXPECT_FALSE(service_->get(b.fingerprint).token_key_id.has_value());
}

TEST_P(CertificateKeysTest, WrongPassphraseHasItsOwnMessage) {
  Contact c = imported_contact("ec-p384", "carol@example.org");
  std::string pem = pem_encrypted_pkcs8(c.key.get(), "right");
  auto bytes = as_bytes(pem);
  SecretString wrong("wrong");
  service::KeyImportRequest request;
  request.key_file = bytes;
  request.passphrase = &wrong;
  try {
    service_->import_private_key(request);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_passphrase);
  }
  EXPECT_FALSE(service_->get(c.fingerprint).token_key_id.has_value());
}

TEST_P(CertificateKeysTest, ExportIsRefusedForTokenHeldKeysAndWorksForExportableOnes) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_AES_KEY_WRAP_PAD);
  Contact held = imported_contact("rsa-2048", "held@example.org");
  Contact exportable = imported_contact("ec-p256", "export@example.org");
  import_key(held);
  import_key(exportable, true);
  SecretString pass("export passphrase");
  try {
    service_->export_private_key(held.fingerprint, pass);
    FAIL() << "a token-held key was exported";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::forbidden);
    EXPECT_NE(std::string(e.what()).find("held in the token"), std::string::npos);
  }

  std::string out = service_->export_private_key(exportable.fingerprint, pass);
  EXPECT_NE(out.find("BEGIN ENCRYPTED PRIVATE KEY"), std::string::npos);
  auto out_bytes = as_bytes(out);
  EvpPkeyPtr back = decode_private_key(out_bytes, &pass);
  EXPECT_TRUE(same_public_key(back.get(), exportable.key.get()));
  EXPECT_EQ(EVP_PKEY_eq(back.get(), exportable.key.get()), 1);
  SecretString wrong("not it");
  EXPECT_THROW(decode_private_key(out_bytes, &wrong), Error);
}

TEST_P(CertificateKeysTest, DownloadGivesPemAndDerOfTheStoredCertificate) {
  Contact c = imported_contact("rsa-2048", "dl@example.org");
  auto pem = service_->export_certificate(c.fingerprint, false);
  EXPECT_EQ(std::string(pem.begin(), pem.end()), c.pem_cert);
  auto der = service_->export_certificate(c.fingerprint.substr(0, 12), true);
  EXPECT_EQ(der, service_->get(c.fingerprint).der);
}

TEST_P(CertificateKeysTest, DeleteWithKeyRemovesBothAndWithoutKeepsTheKey) {
  Contact a = imported_contact("ec-p256", "del-a@example.org");
  Contact b = imported_contact("ec-p256", "del-b@example.org");
  import_key(a);
  import_key(b);
  const std::string key_a = *service_->get(a.fingerprint).token_key_id;
  const std::string key_b = *service_->get(b.fingerprint).token_key_id;

  service_->delete_certificate(a.fingerprint, true);
  EXPECT_FALSE(store_->certificate(a.fingerprint).has_value());
  EXPECT_FALSE(key_store().find(key_a).has_value());

  service_->delete_certificate(b.fingerprint, false);
  EXPECT_FALSE(store_->certificate(b.fingerprint).has_value());
  EXPECT_TRUE(key_store().find(key_b).has_value()) << "without --with-key the key stays";

  EXPECT_THROW(service_->delete_certificate(a.fingerprint, true), Error);
}

}  // namespace
}  // namespace smime::test
