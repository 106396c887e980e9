// Software completion around the token's raw operations (SPEC §12), on SoftHSM2 which cannot
// do RSA-OAEP with SHA-256 or ECDH with the X9.63 KDF itself.
#include "smime/pkcs11/completion.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "smime/common/error.hpp"
#include "smime/common/x963_kdf.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

class CompletionTest : public SoftHsmTest {};

std::vector<unsigned char> oaep_encrypt(EVP_PKEY* pub, const EVP_MD* md,
                                        std::span<const unsigned char> message) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub, "provider=default"));
  EXPECT_EQ(EVP_PKEY_encrypt_init(ctx.get()), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md), 1);
  std::vector<unsigned char> out(EVP_PKEY_get_size(pub));
  std::size_t len = out.size();
  EXPECT_EQ(EVP_PKEY_encrypt(ctx.get(), out.data(), &len, message.data(), message.size()), 1);
  out.resize(len);
  return out;
}

TEST_F(CompletionTest, RsaOaepSha1DecryptsWithTheTokensOwnOaep) {
  auto& keys = key_store();
  ASSERT_TRUE(keys.native_support().rsa_oaep_sha1) << "SoftHSM2 does CKM_RSA_PKCS_OAEP(SHA-1)";
  EXPECT_FALSE(keys.native_support().rsa_oaep_sha256) << "SoftHSM2 does OAEP with SHA-1 only";
  KeyInfo key = keys.generate(KeyAlgorithm::rsa_2048, "oaep-native");
  EvpPkeyPtr pub = keys.public_key(key.id);
  const std::vector<unsigned char> cek(32, 0x3c);
  auto wrapped = oaep_encrypt(pub.get(), EVP_sha1(), cek);
  SecureBytes plain = keys.decrypt_rsa_oaep_native(key.id, wrapped, EVP_sha1());
  EXPECT_EQ(std::vector<unsigned char>(plain.begin(), plain.end()), cek);
  // A padding failure in the token reads exactly as one in the software completion.
  wrapped[7] ^= 0x01;
  std::string native_message;
  try {
    keys.decrypt_rsa_oaep_native(key.id, wrapped, EVP_sha1());
    FAIL() << "a tampered ciphertext decrypted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::crypto);
    EXPECT_EQ(e.ckr(), CKR_OK) << "the token's reason is not passed on";
    native_message = e.what();
  }
  try {
    pkcs11::decrypt_rsa_oaep(keys, key.id, wrapped, EVP_sha1(), EVP_sha1());
    FAIL() << "a tampered ciphertext decrypted";
  } catch (const Error& e) {
    EXPECT_EQ(native_message, e.what());
  }
}

TEST_F(CompletionTest, RsaOaepSha256DecryptsWithTheKeyInTheToken) {
  auto& keys = key_store();
  KeyInfo key = keys.generate(KeyAlgorithm::rsa_2048, "oaep");
  EvpPkeyPtr pub = keys.public_key(key.id);
  const std::vector<unsigned char> cek(32, 0x5a);
  for (const EVP_MD* md : {EVP_sha256(), EVP_sha1(), EVP_sha384()}) {
    auto wrapped = oaep_encrypt(pub.get(), md, cek);
    SecureBytes plain = pkcs11::decrypt_rsa_oaep(keys, key.id, wrapped, md, md);
    EXPECT_EQ(std::vector<unsigned char>(plain.begin(), plain.end()), cek) << EVP_MD_get0_name(md);
  }
  // Tampered ciphertext and a wrong hash fail with one and the same message.
  auto wrapped = oaep_encrypt(pub.get(), EVP_sha256(), cek);
  std::string first;
  try {
    pkcs11::decrypt_rsa_oaep(keys, key.id, wrapped, EVP_sha1(), EVP_sha1());
    FAIL();
  } catch (const Error& e) {
    first = e.what();
  }
  wrapped[10] ^= 0x01;
  try {
    pkcs11::decrypt_rsa_oaep(keys, key.id, wrapped, EVP_sha256(), EVP_sha256());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::crypto);
    EXPECT_EQ(first, e.what());
  }
  // The key never became extractable for this.
  EXPECT_FALSE(keys.find(key.id)->extractable);
}

TEST_F(CompletionTest, EcdhRawSecretAndX963KdfMatchSoftwareAgreement) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_ECDH1_DERIVE);
  auto& keys = key_store();
  for (KeyAlgorithm alg : {KeyAlgorithm::ec_p256, KeyAlgorithm::ec_p384}) {
    KeyInfo key = keys.generate(alg, "ecdh");
    EvpPkeyPtr token_pub = keys.public_key(key.id);
    EvpPkeyPtr peer = generate_software_key(alg == KeyAlgorithm::ec_p256 ? "ec-p256" : "ec-p384");
    unsigned char point[133];
    std::size_t point_len = 0;
    ASSERT_EQ(EVP_PKEY_get_octet_string_param(peer.get(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                              sizeof point, &point_len),
              1);
    SecureBytes token_secret = pkcs11::derive_ecdh_raw(keys, key.id, {point, point_len});

    // The sender's side in software: peer private key with the token's public key.
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, peer.get(), "provider=default"));
    ASSERT_EQ(EVP_PKEY_derive_init(ctx.get()), 1);
    ASSERT_EQ(EVP_PKEY_derive_set_peer(ctx.get(), token_pub.get()), 1);
    std::size_t len = 0;
    ASSERT_EQ(EVP_PKEY_derive(ctx.get(), nullptr, &len), 1);
    std::vector<unsigned char> software_secret(len);
    ASSERT_EQ(EVP_PKEY_derive(ctx.get(), software_secret.data(), &len), 1);
    EXPECT_EQ(std::vector<unsigned char>(token_secret.begin(), token_secret.end()),
              software_secret);

    const unsigned char info[] = {0x30, 0x00};
    SecureBytes a = x963_kdf(token_secret, EVP_sha256(), info, 32);
    SecureBytes b = x963_kdf(software_secret, EVP_sha256(), info, 32);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.size(), 32u);
  }
}

}  // namespace
}  // namespace smime::test
