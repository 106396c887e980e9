// Every signature and encryption algorithm of SPEC §7 with org keys in SoftHSM2: what the
// engine produces carries the right algorithms and attributes, and the engine reads it back
// (decryption through the token natively or completed in software, SPEC §12).
#include <gtest/gtest.h>
#include <openssl/cms.h>

#include "engine_fixture.hpp"

namespace smime::test {
namespace {

using engine::ContentCipher;
using engine::KeyTransport;
using engine::SignatureScheme;
using engine::SignatureStatus;

class EngineAlgorithmsTest : public EngineTest {
 protected:
  CMS_SignerInfo* only_signer(CMS_ContentInfo* cms) {
    STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
    EXPECT_EQ(sk_CMS_SignerInfo_num(infos), 1);
    return sk_CMS_SignerInfo_value(infos, 0);
  }

  void expect_signed_round_trip(const Identity& org, engine::OutgoingRequest request,
                                const std::string& micalg, int signature_nid) {
    const std::string original = message();
    auto out = outgoing(original, true, false, request);
    ASSERT_TRUE(out.signed_);
    EXPECT_FALSE(out.encrypted);
    EXPECT_EQ(out.micalg, micalg);
    ASSERT_TRUE(out.signer.has_value());
    EXPECT_EQ(out.signer->fingerprint, org.fingerprint);
    if (!request.opaque.value_or(false)) {
      EXPECT_NE(out.message.find("multipart/signed"), std::string::npos);
      EXPECT_NE(out.message.find("micalg=" + micalg), std::string::npos) << out.message;
      EXPECT_NE(out.message.find("protocol=\"application/pkcs7-signature\""), std::string::npos);
    } else {
      EXPECT_NE(out.message.find("smime-type=signed-data"), std::string::npos);
    }
    // The outer headers stay outside.
    EXPECT_EQ(out.message.rfind("From: Example Support <support@example.org>\r\n", 0), 0u);
    EXPECT_NE(out.message.find("Subject: Ticket #4711\r\n"), std::string::npos);

    CmsPtr cms = parse_cms(cms_of(out.message));
    CMS_SignerInfo* si = only_signer(cms.get());
    X509_ALGOR* digest = nullptr;
    X509_ALGOR* signature = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, &signature);
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, signature);
    EXPECT_EQ(OBJ_obj2nid(oid), signature_nid);
    for (int nid : {NID_pkcs9_contentType, NID_pkcs9_messageDigest, NID_pkcs9_signingTime,
                    NID_SMIMECapabilities}) {
      EXPECT_GE(CMS_signed_get_attr_by_NID(si, nid, -1), 0) << OBJ_nid2sn(nid);
    }
    // The chain from the store is embedded: the signer and the CA.
    X509StackPtr certs(CMS_get1_certs(cms.get()));
    EXPECT_EQ(sk_X509_num(certs.get()), 2);

    auto in = engine_->incoming(out.message);
    EXPECT_TRUE(in.signed_);
    EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
    ASSERT_TRUE(in.signer.has_value());
    EXPECT_EQ(in.signer->fingerprint, org.fingerprint);
    EXPECT_TRUE(in.errors.empty());
    EXPECT_EQ(body_of(in.message), MessageSpec{}.body);
    EXPECT_TRUE(in.ok());
  }

  void expect_encrypted_round_trip(const Identity& org, ContentCipher cipher,
                                   KeyTransport transport, int key_algorithm_nid) {
    const std::string original = message({.from = org.email, .to = {org.email}});
    engine::OutgoingRequest request;
    request.cipher = cipher;
    request.transport = transport;
    auto out = outgoing(original, false, true, request);
    ASSERT_TRUE(out.encrypted);
    ASSERT_EQ(out.recipients.size(), 1u);  // To is the sender: one recipient
    CmsPtr cms = parse_cms(cms_of(out.message));
    const bool aead = cipher != ContentCipher::aes256_cbc;
    EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(cms.get())),
              aead ? NID_id_smime_ct_authEnvelopedData : NID_pkcs7_enveloped);
    STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms.get());
    ASSERT_EQ(sk_CMS_RecipientInfo_num(ris), 1);
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, 0);
    X509_ALGOR* alg = nullptr;
    if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
      CMS_RecipientInfo_ktri_get0_algs(ri, nullptr, nullptr, &alg);
    } else {
      ASSERT_EQ(CMS_RecipientInfo_type(ri), CMS_RECIPINFO_AGREE);
      ASN1_OCTET_STRING* ukm = nullptr;
      CMS_RecipientInfo_kari_get0_alg(ri, &alg, &ukm);
    }
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
    EXPECT_EQ(OBJ_obj2nid(oid), key_algorithm_nid);

    auto in = engine_->incoming(out.message);
    EXPECT_TRUE(in.encrypted);
    EXPECT_TRUE(in.decrypted) << (in.errors.empty() ? "" : in.errors[0].message);
    EXPECT_EQ(in.decryption_key, org.fingerprint);
    EXPECT_EQ(body_of(in.message), MessageSpec{}.body);
    EXPECT_TRUE(in.ok());
  }
};

TEST_F(EngineAlgorithmsTest, RsaPkcs1SignatureDetached) {
  auto org = token_identity("support@example.org", KeyAlgorithm::rsa_2048);
  expect_signed_round_trip(org, {}, "sha-256", NID_rsaEncryption);
}

TEST_F(EngineAlgorithmsTest, RsaPkcs1SignatureOpaque) {
  auto org = token_identity("support@example.org", KeyAlgorithm::rsa_2048);
  engine::OutgoingRequest request;
  request.opaque = true;
  expect_signed_round_trip(org, request, "sha-256", NID_rsaEncryption);
}

TEST_F(EngineAlgorithmsTest, RsaPssSignature) {
  auto org = token_identity("support@example.org", KeyAlgorithm::rsa_3072);
  engine::OutgoingRequest request;
  request.signature = SignatureScheme::rsa_pss;
  expect_signed_round_trip(org, request, "sha-256", NID_rsassaPss);
}

TEST_F(EngineAlgorithmsTest, EcdsaP256SignatureUsesSha256) {
  auto org = token_identity("support@example.org", KeyAlgorithm::ec_p256);
  expect_signed_round_trip(org, {}, "sha-256", NID_ecdsa_with_SHA256);
}

TEST_F(EngineAlgorithmsTest, EcdsaP384SignatureUsesSha384) {
  auto org = token_identity("support@example.org", KeyAlgorithm::ec_p384);
  expect_signed_round_trip(org, {}, "sha-384", NID_ecdsa_with_SHA384);
}

struct EncryptionCase {
  const char* name;
  const char* key_kind;
  ContentCipher cipher;
  KeyTransport transport;
  int key_algorithm_nid;
};

class EngineEncryptionTest : public EngineAlgorithmsTest,
                             public ::testing::WithParamInterface<EncryptionCase> {};

TEST_P(EngineEncryptionTest, TokenKeyDecryptsWhatWasEncryptedToIt) {
  const EncryptionCase& c = GetParam();
  if (std::string_view(c.key_kind).starts_with("ec"))
    SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_ECDH1_DERIVE);
  auto org = imported_identity("support@example.org", c.key_kind);
  expect_encrypted_round_trip(org, c.cipher, c.transport, c.key_algorithm_nid);
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, EngineEncryptionTest,
    ::testing::Values(
        EncryptionCase{"RsaPkcs1Aes256Cbc", "rsa-2048", ContentCipher::aes256_cbc,
                       KeyTransport::rsa_pkcs1, NID_rsaEncryption},
        EncryptionCase{"RsaPkcs1Aes128Gcm", "rsa-2048", ContentCipher::aes128_gcm,
                       KeyTransport::rsa_pkcs1, NID_rsaEncryption},
        EncryptionCase{"RsaPkcs1Aes256Gcm", "rsa-2048", ContentCipher::aes256_gcm,
                       KeyTransport::rsa_pkcs1, NID_rsaEncryption},
        EncryptionCase{"RsaOaepSha1Aes256Cbc", "rsa-2048", ContentCipher::aes256_cbc,
                       KeyTransport::rsa_oaep_sha1, NID_rsaesOaep},
        EncryptionCase{"RsaOaepSha256Aes256Cbc", "rsa-2048", ContentCipher::aes256_cbc,
                       KeyTransport::rsa_oaep_sha256, NID_rsaesOaep},
        EncryptionCase{"RsaOaepSha256Aes256Gcm", "rsa-3072", ContentCipher::aes256_gcm,
                       KeyTransport::rsa_oaep_sha256, NID_rsaesOaep},
        EncryptionCase{"EcdhP256Aes256Cbc", "ec-p256", ContentCipher::aes256_cbc,
                       KeyTransport::rsa_pkcs1, NID_dhSinglePass_stdDH_sha256kdf_scheme},
        EncryptionCase{"EcdhP256Aes128Gcm", "ec-p256", ContentCipher::aes128_gcm,
                       KeyTransport::rsa_pkcs1, NID_dhSinglePass_stdDH_sha256kdf_scheme},
        EncryptionCase{"EcdhP384Aes256Cbc", "ec-p384", ContentCipher::aes256_cbc,
                       KeyTransport::rsa_pkcs1, NID_dhSinglePass_stdDH_sha384kdf_scheme},
        EncryptionCase{"EcdhP384Aes256Gcm", "ec-p384", ContentCipher::aes256_gcm,
                       KeyTransport::rsa_pkcs1, NID_dhSinglePass_stdDH_sha384kdf_scheme}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(EngineAlgorithmsTest, SignThenEncryptUnwrapsBothLayers) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_ECDH1_DERIVE);
  auto org = token_identity("support@example.org", KeyAlgorithm::ec_p256);
  auto alice = contact("alice@example.com");
  (void)alice;
  auto out = outgoing(message(), true, true);
  EXPECT_TRUE(out.signed_);
  EXPECT_TRUE(out.encrypted);
  // Alice and the sender's own copy.
  ASSERT_EQ(out.recipients.size(), 2u);
  EXPECT_EQ(out.recipients[0].address, "alice@example.com");
  EXPECT_EQ(out.recipients[1].address, "support@example.org");
  EXPECT_EQ(out.format, "enveloped-data");

  auto in = engine_->incoming(out.message);
  EXPECT_TRUE(in.decrypted) << (in.errors.empty() ? "" : in.errors[0].message);
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  ASSERT_EQ(in.layers.size(), 2u);
  EXPECT_EQ(in.layers[0], "enveloped-data");
  EXPECT_EQ(in.layers[1], "multipart/signed");
  EXPECT_EQ(body_of(in.message), MessageSpec{}.body);
  EXPECT_EQ(in.message.rfind("From: Example Support <support@example.org>\r\n", 0), 0u);
}

// A serial whose first byte has the high bit set is DER-encoded with a leading 00 in the
// RecipientInfo; OpenSSL's ASN1_INTEGER keeps the magnitude only. Both must match.
TEST_F(EngineAlgorithmsTest, RecipientWithHighBitSerialIsFound) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_ECDH1_DERIVE);
  for (KeyAlgorithm algorithm : {KeyAlgorithm::rsa_2048, KeyAlgorithm::ec_p256}) {
    const bool ec = algorithm == KeyAlgorithm::ec_p256;
    const std::string email = ec ? "ec-high@example.org" : "rsa-high@example.org";
    SCOPED_TRACE(email);
    KeyInfo key = key_store().generate(algorithm, email);
    EvpPkeyPtr pub = key_store().public_key(key.id);
    CertificateSpec spec = CertificateSpec::smime(email);
    spec.key_usages = ec ? std::vector<std::string>{"digitalSignature", "keyAgreement"}
                         : std::vector<std::string>{"digitalSignature", "keyEncipherment"};
    spec.key = pub.get();
    spec.serial = 0xf6ff6817bab75583ULL;
    spec.issued_by(ca_);
    const std::string fp = store_certificate(issue_certificate(spec).cert.get());
    ASSERT_TRUE(store_->set_certificate_key(fp, key.id, false));
    auto out = outgoing(message({.from = email, .to = {email}}), false, true);
    auto in = engine_->incoming(out.message);
    EXPECT_TRUE(in.decrypted) << (in.errors.empty() ? "" : in.errors[0].message);
    EXPECT_EQ(in.decryption_key, fp);
  }
}

TEST_F(EngineAlgorithmsTest, OutlookStyleSignedDataInsideEnvelopedData) {
  auto org = imported_identity("support@example.org", "rsa-2048");
  auto alice = contact("alice@example.com");
  // Alice's client: opaque signed-data, then encrypted to us.
  const std::string from_alice = message({.from = "alice@example.com", .to = {org.email}});
  const std::string signed_message = signed_by(alice, from_alice, /*detached=*/false);
  const std::string wire = encrypted_for({org.issued.cert.get()}, signed_message);
  auto in = engine_->incoming(wire);
  EXPECT_TRUE(in.decrypted);
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  ASSERT_EQ(in.layers.size(), 2u);
  EXPECT_EQ(in.layers[1], "signed-data");
  EXPECT_EQ(body_of(in.message), MessageSpec{}.body);
}

// Through a module without ECDH (p11-kit 0.24's RPC client, remote mode), a message for an EC
// key cannot be decrypted: the answer says which mechanism is missing, not "could not be
// decrypted".
TEST_F(EngineAlgorithmsTest, EcDecryptionWithoutEcdhInTheModuleNamesTheMissingMechanism) {
  if (token_offers(CKM_ECDH1_DERIVE)) GTEST_SKIP() << "the module offers ECDH";
  auto org = imported_identity("support@example.org", "ec-p256");
  const std::string original = message({.from = org.email, .to = {org.email}});
  auto out = outgoing(original, false, true);
  ASSERT_TRUE(out.encrypted);
  auto in = engine_->incoming(out.message);
  EXPECT_TRUE(in.encrypted);
  EXPECT_FALSE(in.decrypted);
  ASSERT_EQ(in.errors.size(), 1u);
  EXPECT_EQ(in.errors[0].code, "unsupported");
  EXPECT_NE(in.errors[0].message.find("CKR_MECHANISM_INVALID"), std::string::npos)
      << in.errors[0].message;
  EXPECT_NE(in.errors[0].message.find("ECDH1"), std::string::npos) << in.errors[0].message;
}

}  // namespace
}  // namespace smime::test
