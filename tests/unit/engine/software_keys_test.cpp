// The engine's CMS paths with organisation keys in a software key store (no SoftHSM): key
// transport natively and completed around the raw operation (RSA-OAEP with SHA-256), key
// agreement completed around raw ECDH (X9.63 KDF and AES key unwrap in the engine), AES-GCM,
// signatures that verify and tampered ones that do not, and what a message names as missing.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/cms.h>

#include <algorithm>
#include <cctype>

#include "smime/common/error.hpp"
#include "smime/engine/engine.hpp"
#include "smime/mime/mime_message.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/fake_key_store.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

using engine::ContentCipher;
using engine::KeyTransport;
using engine::SignatureScheme;
using engine::SignatureStatus;

const std::string kBody = "Your ticket has been resolved.\r\n";

std::string message_from_to(const std::string& from, const std::string& to) {
  return "From: " + from + "\r\nTo: " + to +
         "\r\nSubject: Ticket 4711\r\nMessage-ID: <4711@example.org>\r\n"
         "Content-Type: text/plain; charset=us-ascii\r\n\r\n" +
         kBody;
}

CertificateSpec spec_for(const std::string& email, const std::string& key_kind) {
  CertificateSpec spec = CertificateSpec::smime(email, key_kind);
  if (key_kind.rfind("ec-", 0) == 0) spec.key_usages = {"digitalSignature", "keyAgreement"};
  return spec;
}

std::string lower_hex_serial(const X509* certificate) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  OpensslCharsPtr hex(BN_bn2hex(bn.get()));
  std::string text(hex.get());
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text.substr(std::min(text.find_first_not_of('0'), text.size()));
}

class SoftwareKeyEngineTest : public ::testing::Test {
 protected:
  SoftwareKeyEngineTest() {
    store_ = store::open_sqlite_store(dir_.path() / "smime.db");
    const auto keys = [this]() -> KeyStore& { return keys_; };
    certificates_ = std::make_unique<service::CertificateService>(*store_, keys);
    engine_ = std::make_unique<engine::Engine>(*store_, *certificates_, keys);
    ca_ = issue_certificate(CertificateSpec::authority("Test CA"));
    store(ca_.cert.get());
  }

  std::string store(const X509* certificate) {
    auto report = certificates_->import_certificates(as_bytes(pem(certificate)));
    if (report.imported.size() != 1) {
      throw Error(
          ErrorCode::internal,
          "not imported: " + (report.errors.empty() ? std::string("?") : report.errors[0].message));
    }
    return report.imported[0].record.sha256;
  }

  // An organisation identity: certificate issued by the CA, its key in the key store.
  std::string org(const std::string& email, const std::string& key_kind) {
    CertificateSpec spec = spec_for(email, key_kind);
    spec.issued_by(ca_);
    IssuedCertificate issued = issue_certificate(spec);
    const std::string fingerprint = store(issued.cert.get());
    const std::string key_pem = pem_pkcs8(issued.key.get());
    const auto bytes = as_bytes(key_pem);
    service::KeyImportRequest request;
    request.key_file = bytes;
    request.fingerprint = fingerprint;
    certificates_->import_private_key(request);
    return fingerprint;
  }

  // A correspondent: only the certificate is stored.
  IssuedCertificate contact(const std::string& email, const std::string& key_kind) {
    CertificateSpec spec = spec_for(email, key_kind);
    spec.issued_by(ca_);
    IssuedCertificate issued = issue_certificate(spec);
    store(issued.cert.get());
    return issued;
  }

  engine::OutgoingResult encrypt(const std::string& from, const std::string& to,
                                 engine::OutgoingRequest request = {}) {
    const std::string message = message_from_to(from, to);
    request.message = message;
    request.sign = false;
    request.encrypt = true;
    return engine_->outgoing(request);
  }

  engine::OutgoingResult sign(const std::string& from, engine::OutgoingRequest request = {}) {
    const std::string message = message_from_to(from, "alice@example.com");
    request.message = message;
    request.sign = true;
    request.encrypt = false;
    return engine_->outgoing(request);
  }

  void expect_decrypted(const engine::IncomingResult& in, const std::string& key) {
    EXPECT_TRUE(in.encrypted);
    EXPECT_TRUE(in.decrypted) << (in.errors.empty() ? "" : in.errors[0].message);
    EXPECT_EQ(in.decryption_key, key);
    EXPECT_NE(in.message.find(kBody), std::string::npos) << in.message;
    EXPECT_TRUE(in.errors.empty());
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  FakeKeyStore keys_;
  std::unique_ptr<service::CertificateService> certificates_;
  std::unique_ptr<engine::Engine> engine_;
  IssuedCertificate ca_;
};

TEST_F(SoftwareKeyEngineTest, RsaOaepSha256IsCompletedAroundTheRawOperationUnlessNative) {
  const std::string support = org("support@example.org", "rsa-2048");
  contact("alice@example.com", "rsa-2048");
  engine::OutgoingRequest request;
  request.transport = KeyTransport::rsa_oaep_sha256;
  const engine::OutgoingResult out = encrypt("support@example.org", "alice@example.com", request);
  ASSERT_TRUE(out.encrypted);
  EXPECT_EQ(out.recipients.size(), 2u) << "alice and the sender's own copy";

  expect_decrypted(engine_->incoming(out.message), support);
  EXPECT_EQ(keys_.completed_operations(), 1) << "raw RSA in the key store, OAEP in software";

  keys_.set_native_support({.rsa_oaep_sha256 = true});
  expect_decrypted(engine_->incoming(out.message), support);
  EXPECT_EQ(keys_.completed_operations(), 1) << "natively: no completion";
  EXPECT_EQ(keys_.native_operations(), 1) << "CKM_RSA_PKCS_OAEP with SHA-256";

  keys_.set_native_support({.rsa_oaep_sha1 = true, .rsa_oaep_sha256 = false, .rsa_raw = false});
  const engine::IncomingResult refused = engine_->incoming(out.message);
  EXPECT_FALSE(refused.decrypted);
  ASSERT_FALSE(refused.errors.empty());
  EXPECT_NE(refused.errors[0].message.find("CKM_RSA_X_509"), std::string::npos)
      << refused.errors[0].code << ": " << refused.errors[0].message;
  EXPECT_EQ(keys_.completed_operations() + keys_.native_operations(), 2) << "nothing was tried";
}

TEST_F(SoftwareKeyEngineTest, OaepSha1IsNativeWhereTheTokenHasItAndPkcs1NeedsNoCompletion) {
  const std::string support = org("support@example.org", "rsa-3072");
  contact("alice@example.com", "rsa-2048");
  keys_.set_native_support({.rsa_oaep_sha1 = true});
  for (KeyTransport transport : {KeyTransport::rsa_pkcs1, KeyTransport::rsa_oaep_sha1}) {
    SCOPED_TRACE(std::string(engine::to_string(transport)));
    engine::OutgoingRequest request;
    request.transport = transport;
    request.cipher = ContentCipher::aes128_gcm;
    const engine::OutgoingResult out = encrypt("support@example.org", "alice@example.com", request);
    const engine::IncomingResult in = engine_->incoming(out.message);
    expect_decrypted(in, support);
    ASSERT_FALSE(in.layers.empty());
    EXPECT_EQ(in.layers[0], "authEnveloped-data");
  }
  EXPECT_EQ(keys_.completed_operations(), 0);
  EXPECT_EQ(keys_.native_operations(), 1) << "OAEP-SHA1 with the token's CKM_RSA_PKCS_OAEP";
}

TEST_F(SoftwareKeyEngineTest, EcdhIsCompletedAroundRawEcdhOnP256AndP384) {
  int completed = 0;
  for (const std::string kind : {"ec-p256", "ec-p384"}) {
    SCOPED_TRACE(kind);
    const std::string email = "support-" + kind + "@example.org";
    const std::string support = org(email, kind);
    contact("alice-" + kind + "@example.com", kind);
    engine::OutgoingRequest request;
    request.cipher = ContentCipher::aes256_gcm;
    const engine::OutgoingResult out = encrypt(email, "alice-" + kind + "@example.com", request);
    keys_.set_native_support({});
    expect_decrypted(engine_->incoming(out.message), support);
    EXPECT_EQ(keys_.completed_operations(), ++completed) << "raw ECDH, KDF and unwrap here";

    keys_.set_native_support({.ecdh_kdf = true});
    expect_decrypted(engine_->incoming(out.message), support);
    EXPECT_EQ(keys_.completed_operations(), completed) << "natively: no completion";
  }
}

TEST_F(SoftwareKeyEngineTest, SignaturesVerifyAndTamperedContentDoesNot) {
  org("support@example.org", "rsa-2048");
  org("ec@example.org", "ec-p384");
  engine::OutgoingRequest pss;
  pss.signature = SignatureScheme::rsa_pss;
  engine::OutgoingRequest opaque;
  opaque.opaque = true;
  const std::vector<std::pair<std::string, engine::OutgoingResult>> signed_messages = {
      {"rsa-pkcs1", sign("support@example.org")},
      {"rsa-pss", sign("support@example.org", pss)},
      {"ec-p384 opaque", sign("ec@example.org", opaque)},
  };
  EXPECT_EQ(signed_messages[2].second.micalg, "sha-384");
  for (const auto& [name, out] : signed_messages) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(out.signed_);
    const engine::IncomingResult in = engine_->incoming(out.message);
    EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
    ASSERT_TRUE(in.signer.has_value());
    EXPECT_EQ(in.signer->fingerprint, out.signer->fingerprint);
  }

  // Detached: a changed word of the content breaks the signature.
  std::string tampered = signed_messages[0].second.message;
  const auto at = tampered.find("resolved");
  ASSERT_NE(at, std::string::npos);
  tampered.replace(at, 8, "reopened");
  const engine::IncomingResult in = engine_->incoming(tampered);
  EXPECT_EQ(in.signature, SignatureStatus::invalid);
  EXPECT_FALSE(in.ok());
}

TEST_F(SoftwareKeyEngineTest, EnvelopeForNoOrgKeyNamesTheRecipientAsMissing) {
  IssuedCertificate alice = contact("alice@example.com", "rsa-2048");
  engine::OutgoingRequest request;
  request.encrypt_to_sender = false;
  const engine::OutgoingResult out = encrypt("support@example.org", "alice@example.com", request);
  ASSERT_TRUE(out.encrypted);

  const engine::IncomingResult in = engine_->incoming(out.message);
  EXPECT_TRUE(in.encrypted);
  EXPECT_FALSE(in.decrypted);
  ASSERT_EQ(in.errors.size(), 1u);
  EXPECT_EQ(in.errors[0].code, "no_key");
  ASSERT_EQ(in.missing.size(), 1u);
  EXPECT_EQ(in.missing[0].kind, "key");
  EXPECT_NE(in.missing[0].issuer.find("Test CA"), std::string::npos) << in.missing[0].issuer;
  const std::string serial = in.missing[0].serial;
  EXPECT_EQ(serial.substr(std::min(serial.find_first_not_of('0'), serial.size())),
            lower_hex_serial(alice.cert.get()));
  EXPECT_EQ(in.message, out.message) << "the original is returned";
}

TEST_F(SoftwareKeyEngineTest, SignerWithoutAStoredCertificateIsUnknownAndNamed) {
  IssuedCertificate other_ca = issue_certificate(CertificateSpec::authority("Other CA"));
  CertificateSpec spec = spec_for("stranger@example.net", "ec-p256");
  spec.issued_by(other_ca);
  IssuedCertificate stranger = issue_certificate(spec);

  const std::string message = message_from_to("stranger@example.net", "support@example.org");
  const auto parts = engine::mime::prepare_outgoing(message);
  BioPtr content(
      BIO_new_mem_buf(parts.content_entity.data(), static_cast<int>(parts.content_entity.size())));
  CmsPtr cms(CMS_sign(stranger.cert.get(), stranger.key.get(), nullptr, content.get(),
                      CMS_BINARY | CMS_DETACHED));
  ASSERT_TRUE(cms);
  unsigned char* raw = nullptr;
  const int length = i2d_CMS_ContentInfo(cms.get(), &raw);
  ASSERT_GT(length, 0);
  OpensslBytesPtr owner(raw);
  const std::vector<unsigned char> der(raw, raw + length);
  const std::string received = engine::mime::join(
      parts.outer_headers,
      engine::mime::compose_multipart_signed(parts.content_entity, der, "sha-256"));

  const engine::IncomingResult in = engine_->incoming(received);
  EXPECT_EQ(in.signature, SignatureStatus::unknown_signer) << in.signature_reason;
  ASSERT_FALSE(in.missing.empty());
  EXPECT_EQ(in.missing[0].kind, "certificate");
  EXPECT_NE(in.missing[0].subject.find("Other CA"), std::string::npos) << in.missing[0].subject;
}

}  // namespace
}  // namespace smime::test
