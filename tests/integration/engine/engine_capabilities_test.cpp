// Cipher choice from the recipients' capabilities (issue 17 item 5) with org keys in SoftHSM2
// and the SQLite store: what a verified signature announces, what the store has recorded or a
// certificate's extension says, and what outgoing and preflight make of it, read back from
// the CMS the engine produced.
#include <gtest/gtest.h>
#include <openssl/cms.h>

#include "engine_fixture.hpp"
#include "smime/mime/mime_message.hpp"
#include "support/smime_capabilities.hpp"

namespace smime::test {
namespace {

using engine::ContentCipher;
using engine::SignatureStatus;

class EngineCapabilitiesTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    org_ = token_identity("support@example.org", KeyAlgorithm::rsa_2048);
  }

  // A message from `who` to the helpdesk, signed (detached) announcing `announced`.
  static std::string signed_announcing(const Identity& who,
                                       const std::optional<Announcement>& announced,
                                       const std::vector<X509*>& extra = {}) {
    const std::string text = message({.from = who.email, .to = {"support@example.org"}});
    auto parts = engine::mime::prepare_outgoing(text);
    const auto der = sign_announcing(parts.content_entity, who.issued.cert.get(),
                                     who.issued.key.get(), announced, extra);
    return engine::mime::join(parts.outer_headers, engine::mime::compose_multipart_signed(
                                                       parts.content_entity, der, "sha-256"));
  }

  void record(const Identity& who, std::vector<std::string> capabilities,
              std::int64_t signing_time = 1000) {
    ASSERT_TRUE(store_->record_capabilities(
        {who.fingerprint, std::move(capabilities), signing_time, "m@example.com", 0}));
  }

  engine::OutgoingResult encrypt_to(const std::vector<std::string>& to, bool to_sender = false,
                                    engine::OutgoingRequest request = {}) {
    request.encrypt_to_sender = to_sender;
    return outgoing(message({.to = to}), false, true, request);
  }

  static RecipientAlgorithm algorithm_for(const engine::OutgoingResult& out, const Identity& who) {
    CmsPtr cms = parse_cms(cms_of(out.message));
    return recipient_algorithm(cms.get(), who.issued.cert.get());
  }
  static int content_type(const engine::OutgoingResult& out) {
    CmsPtr cms = parse_cms(cms_of(out.message));
    return OBJ_obj2nid(CMS_get0_type(cms.get()));
  }

  Identity org_;
};

TEST_F(EngineCapabilitiesTest, AVerifiedSignatureReportsWhatItsSignerAnnounced) {
  const Identity bob = contact("bob@example.com");
  const auto in = engine_->incoming(signed_announcing(
      bob,
      Announcement{{NID_aes_256_gcm, NID_aes_128_gcm, NID_aes_256_cbc}, true, false, 1700000000}));
  ASSERT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  ASSERT_TRUE(in.signer.has_value());
  EXPECT_EQ(in.signer->capabilities,
            (std::vector<std::string>{"aes256-gcm", "aes128-gcm", "aes256-cbc", "rsaes-oaep"}));
  EXPECT_EQ(in.signer->signing_time, 1700000000);
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].signer->capabilities, in.signer->capabilities);

  // Without the attribute (CMS_NOSMIMECAP): nothing announced.
  const auto plain = engine_->incoming(signed_announcing(bob, std::nullopt));
  ASSERT_EQ(plain.signature, SignatureStatus::valid) << plain.signature_reason;
  EXPECT_TRUE(plain.signer->capabilities.empty());
}

TEST_F(EngineCapabilitiesTest, NothingIsReadFromASignatureThatDidNotVerify) {
  // A signer under a CA that is no anchor: the chain does not verify.
  IssuedCertificate other_ca = issue_certificate(CertificateSpec::authority("Other CA"));
  Identity stranger{
      issue_certificate(CertificateSpec::smime("eve@example.net").issued_by(other_ca)),
      "eve@example.net", ""};
  const auto unknown = engine_->incoming(
      signed_announcing(stranger, Announcement{{NID_aes_256_gcm}, true, false, 0}));
  EXPECT_EQ(unknown.signature, SignatureStatus::unknown_signer) << unknown.signature_reason;
  ASSERT_TRUE(unknown.signer.has_value());
  EXPECT_TRUE(unknown.signer->capabilities.empty());

  // A changed message: integrity fails.
  const Identity bob = contact("bob@example.com");
  std::string changed = signed_announcing(bob, Announcement{{NID_aes_256_gcm}, true, false, 0});
  changed.replace(changed.find("resolved"), 8, "reopened");
  const auto broken = engine_->incoming(changed);
  EXPECT_EQ(broken.signature, SignatureStatus::invalid) << broken.signature_reason;
  EXPECT_TRUE(broken.signer->capabilities.empty());
}

TEST_F(EngineCapabilitiesTest, AnAnnouncementIsBoundedInCount) {
  const Identity bob = contact("bob@example.com");
  Announcement many;
  for (int nid = 1; many.ciphers.size() < 60 && nid < 2000; ++nid) {
    if (OBJ_nid2obj(nid) != nullptr && OBJ_length(OBJ_nid2obj(nid)) > 0)
      many.ciphers.push_back(nid);
  }
  const auto in = engine_->incoming(signed_announcing(bob, many));
  ASSERT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  EXPECT_EQ(in.signer->capabilities.size(), 32u);
}

TEST_F(EngineCapabilitiesTest, GcmWhenEveryRecipientAnnouncedItAndTheSentCopyToo) {
  const Identity alice = contact("alice@example.com");
  record(alice, {"aes256-gcm", "aes256-cbc"});
  // With the sender's own copy: the appliance's own key announces AES-GCM.
  const auto out = encrypt_to({"alice@example.com"}, true);
  EXPECT_EQ(out.cipher, "aes-256-gcm");
  EXPECT_EQ(out.cipher_reason, "aes-256-gcm: every recipient announced AES-256-GCM");
  EXPECT_EQ(out.format, "authEnveloped-data");
  EXPECT_EQ(content_type(out), NID_id_smime_ct_authEnvelopedData);
  ASSERT_EQ(out.recipients.size(), 2u);
  EXPECT_EQ(out.recipients[0].capabilities_source, "message");
  EXPECT_EQ(out.recipients[1].capabilities_source, "appliance");
  // The sent copy decrypts with the token key.
  const auto in = engine_->incoming(out.message);
  EXPECT_TRUE(in.decrypted) << (in.errors.empty() ? "" : in.errors[0].message);
  EXPECT_EQ(in.layers, std::vector<std::string>{"authEnveloped-data"});
}

TEST_F(EngineCapabilitiesTest, OneRecipientWithoutGcmMakesItCbcAndIsNamed) {
  const Identity alice = contact("alice@example.com");
  contact("bob@example.com");
  record(alice, {"aes256-gcm"});
  const auto out = encrypt_to({"alice@example.com", "bob@example.com"});
  EXPECT_EQ(out.cipher, "aes-256-cbc");
  EXPECT_EQ(out.cipher_reason, "aes-256-cbc: bob@example.com did not announce AES-GCM");
  EXPECT_EQ(out.format, "enveloped-data");
  EXPECT_EQ(content_type(out), NID_pkcs7_enveloped);
  EXPECT_EQ(out.recipients[1].capabilities_source, "none");
  // Nobody announced anything: AES-256-CBC as before.
  const auto nothing = encrypt_to({"bob@example.com"});
  EXPECT_EQ(nothing.cipher, "aes-256-cbc");
  EXPECT_EQ(content_type(nothing), NID_pkcs7_enveloped);
}

TEST_F(EngineCapabilitiesTest, OnlyAes128GcmAnnouncedGivesAes128Gcm) {
  const Identity alice = contact("alice@example.com");
  const Identity bob = contact("bob@example.com");
  record(alice, {"aes256-gcm", "aes128-gcm"});
  record(bob, {"aes128-gcm", "aes128-cbc"});
  const auto out = encrypt_to({"alice@example.com", "bob@example.com"});
  EXPECT_EQ(out.cipher, "aes-128-gcm");
  EXPECT_EQ(out.cipher_reason,
            "aes-128-gcm: every recipient announced AES-GCM, bob@example.com only AES-128-GCM");
  CmsPtr cms = parse_cms(cms_of(out.message));
  EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(cms.get())), NID_id_smime_ct_authEnvelopedData);
}

TEST_F(EngineCapabilitiesTest, OaepOnlyForRecipientsWhoAnnouncedIt) {
  const Identity alice = contact("alice@example.com");
  const Identity bob = contact("bob@example.com");
  const Identity carol = contact("carol@example.com");
  const Identity dave = contact("dave@example.com", "ec-p256");
  record(alice, {"aes256-cbc", "rsaes-oaep"});
  record(carol, {"rsaes-oaep-sha256", "rsaes-oaep"});
  record(dave, {"rsaes-oaep"});
  const auto out = encrypt_to(
      {"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"}, true);
  EXPECT_EQ(algorithm_for(out, alice).key_encryption, NID_rsaesOaep);
  EXPECT_EQ(algorithm_for(out, alice).oaep_hash, NID_sha1);
  EXPECT_EQ(algorithm_for(out, bob).key_encryption, NID_rsaEncryption);
  EXPECT_EQ(algorithm_for(out, carol).key_encryption, NID_rsaesOaep);
  EXPECT_EQ(algorithm_for(out, carol).oaep_hash, NID_sha256);
  EXPECT_EQ(algorithm_for(out, dave).key_encryption, NID_dhSinglePass_stdDH_sha256kdf_scheme)
      << "EC: ECDH";
  EXPECT_EQ(algorithm_for(out, org_).key_encryption, NID_rsaEncryption) << "the sent copy";
  EXPECT_EQ(out.recipients[0].key_transport, "rsa-oaep-sha1");
  EXPECT_EQ(out.recipients[0].key_transport_reason,
            "rsa-oaep-sha1: alice@example.com announced RSAES-OAEP");
  EXPECT_EQ(out.recipients[1].key_transport, "rsa-pkcs1");
  EXPECT_EQ(out.recipients[1].key_transport_reason,
            "rsa-pkcs1: bob@example.com did not announce RSAES-OAEP");
  EXPECT_EQ(out.recipients[2].key_transport, "rsa-oaep-sha256");
  EXPECT_EQ(out.recipients[3].key_transport, "ecdh");
  EXPECT_EQ(out.recipients[4].key_transport, "rsa-pkcs1");
  // The sent copy still decrypts.
  EXPECT_TRUE(engine_->incoming(out.message).decrypted);
}

TEST_F(EngineCapabilitiesTest, APolicyOrTheRequestForcesTheCipher) {
  const Identity alice = contact("alice@example.com");
  const Identity bob = contact("bob@example.com");
  record(alice, {"aes256-gcm", "rsaes-oaep"});
  engine::Policy gcm;
  gcm.cipher = ContentCipher::aes256_gcm;
  gcm.transport = engine::KeyTransport::rsa_oaep_sha256;
  engine_ = std::make_unique<engine::Engine>(
      *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, gcm);
  const auto forced = encrypt_to({"bob@example.com"});
  EXPECT_EQ(forced.cipher, "aes-256-gcm");
  EXPECT_EQ(forced.cipher_reason, "aes-256-gcm: forced by [encryption] cipher");
  EXPECT_EQ(content_type(forced), NID_id_smime_ct_authEnvelopedData);
  EXPECT_EQ(forced.recipients[0].key_transport_reason,
            "rsa-oaep-sha256: forced by [encryption] key_transport");
  EXPECT_EQ(algorithm_for(forced, bob).oaep_hash, NID_sha256);

  engine::Policy cbc;
  cbc.cipher = ContentCipher::aes256_cbc;
  engine_ = std::make_unique<engine::Engine>(
      *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, cbc);
  const auto policy_cbc = encrypt_to({"alice@example.com"});
  EXPECT_EQ(policy_cbc.cipher_reason, "aes-256-cbc: forced by [encryption] cipher");
  EXPECT_EQ(content_type(policy_cbc), NID_pkcs7_enveloped);
  EXPECT_EQ(policy_cbc.recipients[0].key_transport, "rsa-oaep-sha1") << "transport still auto";

  engine::OutgoingRequest request;
  request.cipher = ContentCipher::aes128_gcm;
  const auto by_request = encrypt_to({"bob@example.com"}, false, request);
  EXPECT_EQ(by_request.cipher_reason, "aes-128-gcm: forced by the request");
}

TEST_F(EngineCapabilitiesTest, ACertificatesSmimeCapabilitiesExtensionCounts) {
  CertificateSpec spec = CertificateSpec::smime("frank@example.com");
  spec.smime_capabilities = capabilities_der({{NID_aes_256_gcm, NID_aes_256_cbc}, false, true});
  const Identity frank = contact_from(spec, "frank@example.com");
  const auto out = encrypt_to({"frank@example.com"});
  EXPECT_EQ(out.cipher, "aes-256-gcm");
  EXPECT_EQ(out.cipher_reason, "aes-256-gcm: frank@example.com announced AES-256-GCM");
  ASSERT_EQ(out.recipients.size(), 1u);
  EXPECT_EQ(out.recipients[0].capabilities_source, "certificate");
  EXPECT_EQ(out.recipients[0].capabilities,
            (std::vector<std::string>{"aes256-gcm", "aes256-cbc", "rsaes-oaep-sha256"}));
  EXPECT_EQ(algorithm_for(out, frank).oaep_hash, NID_sha256);

  // What frank announced in signed mail since replaces the extension.
  record(frank, {"aes256-cbc"});
  const auto later = encrypt_to({"frank@example.com"});
  EXPECT_EQ(later.cipher, "aes-256-cbc");
  EXPECT_EQ(later.recipients[0].capabilities_source, "message");
  EXPECT_EQ(later.recipients[0].key_transport, "rsa-pkcs1");
}

TEST_F(EngineCapabilitiesTest, PreflightSaysWhichCipherAndTransportAndWhy) {
  const Identity alice = contact("alice@example.com");
  contact("bob@example.com");
  record(alice, {"aes256-gcm", "rsaes-oaep"});
  auto r = engine_->preflight(
      {.from = "support@example.org", .to = {"alice@example.com"}, .cc = {"bob@example.com"}});
  ASSERT_TRUE(r.encrypt.possible);
  EXPECT_EQ(r.encrypt.cipher, "aes-256-cbc");
  EXPECT_EQ(r.encrypt.cipher_reason, "aes-256-cbc: bob@example.com did not announce AES-GCM");
  ASSERT_EQ(r.encrypt.certificates.size(), 3u);
  EXPECT_EQ(r.encrypt.certificates[0].key_transport, "rsa-oaep-sha1");
  EXPECT_EQ(r.encrypt.certificates[0].capabilities_source, "message");
  EXPECT_EQ(r.encrypt.certificates[1].key_transport_reason,
            "rsa-pkcs1: bob@example.com did not announce RSAES-OAEP");
  EXPECT_EQ(r.encrypt.certificates[2].capabilities_source, "appliance");

  auto only_alice =
      engine_->preflight({.from = "support@example.org", .to = {"alice@example.com"}});
  EXPECT_EQ(only_alice.encrypt.cipher, "aes-256-gcm");
  EXPECT_EQ(only_alice.encrypt.cipher_reason, "aes-256-gcm: every recipient announced AES-256-GCM");

  // No certificate for someone: nothing to choose.
  auto missing = engine_->preflight({.from = "support@example.org", .to = {"nobody@example.com"}});
  EXPECT_FALSE(missing.encrypt.possible);
  EXPECT_EQ(missing.encrypt.cipher, "");
}

}  // namespace
}  // namespace smime::test
