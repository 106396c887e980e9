// Keys through the use cases with a software key store: generation is all or nothing, deletion
// refuses keys that a certificate or the appliance still uses, accepts unique id prefixes, and
// never removes a key whose audit entry could not be written; export only for exportable keys.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "app_fixture.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

class KeyUseCasesTest : public AppTest {
 protected:
  app::GeneratedKey generate(bool self_signed, const std::string& email = "org@example.org") {
    app::KeyGeneration request;
    request.algorithm = KeyAlgorithm::ec_p256;
    request.label = "org";
    request.emails = {email};
    request.self_signed = self_signed;
    return app_->keys.generate(caller_, request);
  }
  bool in_token(const std::string& id) { return keys_.find(id).has_value(); }
};

ErrorCode code_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::internal;
}

TEST_F(KeyUseCasesTest, SelfSignedKeyIsStoredLinkedAndAudited) {
  const app::GeneratedKey generated = generate(true);
  ASSERT_TRUE(generated.certificate.has_value());
  EXPECT_EQ(generated.certificate->token_key_id, generated.key.id);
  EXPECT_NE(generated.certificate_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  ASSERT_TRUE(in_token(generated.key.id));
  EXPECT_TRUE(keys_.find(generated.key.id)->has_certificate) << "the certificate is in the token";

  const auto stored = app_->certificates.show(generated.certificate->sha256);
  EXPECT_EQ(stored.record.token_key_id, generated.key.id);
  EXPECT_EQ(stored.record.emails, std::vector<std::string>{"org@example.org"});

  const audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::key_generate);
  EXPECT_EQ(entry.event.status, audit::Status::ok);
  EXPECT_EQ(entry.event.fingerprints, std::vector<std::string>{generated.certificate->sha256});
  EXPECT_NE(entry.event.detail.find(generated.key.id), std::string::npos) << entry.event.detail;
}

TEST_F(KeyUseCasesTest, InvalidRequestIsRefusedBeforeAKeyExists) {
  app::KeyGeneration no_email;
  no_email.label = "org";
  no_email.csr = true;
  EXPECT_EQ(code_of([&] { app_->keys.generate(caller_, no_email); }), ErrorCode::invalid_input);
  app::KeyGeneration bad_days;
  bad_days.label = "org";
  bad_days.days = 0;
  EXPECT_EQ(code_of([&] { app_->keys.generate(caller_, bad_days); }), ErrorCode::invalid_input);
  app::KeyGeneration bad_subject;
  bad_subject.label = "org";
  bad_subject.emails = {"org@example.org"};
  bad_subject.self_signed = true;
  bad_subject.subject = "NOSUCHATTRIBUTE=x";
  EXPECT_EQ(code_of([&] { app_->keys.generate(caller_, bad_subject); }), ErrorCode::invalid_input);

  EXPECT_TRUE(keys_.list().empty());
  const auto logged = entries();
  ASSERT_EQ(logged.size(), 3u);
  for (const auto& entry : logged) {
    EXPECT_EQ(entry.event.operation, audit::operation::key_generate);
    EXPECT_EQ(entry.event.status, audit::Status::failed);
  }
}

TEST_F(KeyUseCasesTest, GeneratedKeyIsRemovedAgainWhenItsEntryCannotBeWritten) {
  refuse_audit_entries();
  EXPECT_THROW(generate(true), Error);
  EXPECT_TRUE(keys_.list().empty()) << "the token is left as it was";
  EXPECT_TRUE(app_->certificates.list({}).empty());
}

TEST_F(KeyUseCasesTest, KeyOfAStoredCertificateIsNotDeleted) {
  const app::GeneratedKey generated = generate(true);
  EXPECT_EQ(code_of([&] { app_->keys.remove(caller_, generated.key.id); }), ErrorCode::conflict);
  EXPECT_TRUE(in_token(generated.key.id));

  const audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::key_delete);
  EXPECT_EQ(entry.event.status, audit::Status::failed);
  EXPECT_EQ(entry.event.fingerprints, std::vector<std::string>{generated.certificate->sha256});

  // With the certificate (and its key) deleted, nothing is left to refuse.
  const auto deleted = app_->certificates.remove(caller_, generated.certificate->sha256, true);
  EXPECT_TRUE(deleted.key_deleted);
  EXPECT_FALSE(in_token(generated.key.id));
}

TEST_F(KeyUseCasesTest, ReservedKeyIsNotDeleted) {
  const KeyInfo tls = keys_.generate(KeyAlgorithm::ec_p256, "smimed-tls");
  store_->reserve_key(tls.id, "smimed's TLS key");
  EXPECT_EQ(code_of([&] { app_->keys.remove(caller_, tls.id); }), ErrorCode::conflict);
  EXPECT_TRUE(in_token(tls.id));
  EXPECT_EQ(newest_entry().event.status, audit::Status::failed);
}

TEST_F(KeyUseCasesTest, KeyIsDeletedByAUniquePrefixOfEightDigits) {
  const std::string id = generate(false).key.id;
  EXPECT_EQ(code_of([&] { app_->keys.remove(caller_, id.substr(0, 7)); }), ErrorCode::not_found);
  EXPECT_TRUE(in_token(id));

  EXPECT_EQ(app_->keys.remove(caller_, id.substr(0, 8)), id);
  EXPECT_FALSE(in_token(id));
  const audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::key_delete);
  EXPECT_EQ(entry.event.status, audit::Status::ok);
  EXPECT_EQ(entry.event.detail, "key " + id) << "the entry names the full id";
}

TEST_F(KeyUseCasesTest, KeyStaysInTheTokenWhenItsDeletionCannotBeAudited) {
  const std::string id = generate(false).key.id;
  refuse_audit_entries();
  EXPECT_THROW(app_->keys.remove(caller_, id), Error);
  EXPECT_TRUE(in_token(id));
}

TEST_F(KeyUseCasesTest, OnlyAnExportableKeyIsExportedAndEveryAttemptIsAudited) {
  IssuedCertificate alice = issue_certificate(CertificateSpec::smime("alice@example.com"));
  const std::string fingerprint = import_certificate(alice.cert.get());
  const std::string key_pem = pem_pkcs8(alice.key.get());
  const auto key_bytes = as_bytes(key_pem);
  const SecretString passphrase("export secret");

  app::KeyImport kept;
  kept.key_file = key_bytes;
  kept.fingerprint = fingerprint;
  const app::ImportedKey imported = app_->keys.import_key(caller_, kept);
  EXPECT_FALSE(imported.exportable);
  ASSERT_EQ(imported.certificates.size(), 1u);
  EXPECT_EQ(imported.certificates[0].sha256, fingerprint);
  EXPECT_EQ(code_of([&] { app_->keys.export_key(caller_, fingerprint, passphrase); }),
            ErrorCode::forbidden);
  audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::key_export);
  EXPECT_EQ(entry.event.status, audit::Status::failed);

  // Deleted with its key and imported again, this time as exportable.
  app_->certificates.remove(caller_, fingerprint, true);
  const std::string again = import_certificate(alice.cert.get());
  app::KeyImport exportable = kept;
  exportable.fingerprint = again;
  exportable.exportable = true;
  EXPECT_TRUE(app_->keys.import_key(caller_, exportable).exportable);
  EXPECT_EQ(code_of([&] { app_->keys.export_key(caller_, again, SecretString("")); }),
            ErrorCode::invalid_input);

  const app::ExportedKey exported = app_->keys.export_key(caller_, again, passphrase);
  EXPECT_EQ(exported.fingerprint, again);
  BioPtr bio(BIO_new_mem_buf(exported.pem.data(), static_cast<int>(exported.pem.size())));
  EvpPkeyPtr decoded(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("export secret")));
  ASSERT_TRUE(decoded) << "encrypted under the caller's passphrase";
  EXPECT_EQ(EVP_PKEY_eq(decoded.get(), alice.key.get()), 1);
  entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::key_export);
  EXPECT_EQ(entry.event.status, audit::Status::ok);
  EXPECT_EQ(entry.event.addresses, std::vector<std::string>{"alice@example.com"});
}

}  // namespace
}  // namespace smime::test
