// Token keys handed to OpenSSL (an RSA or EC key whose private operations run in the token
// through our own sessions): signatures made in the token verify with the software public key,
// and the private key material cannot be pulled out through OpenSSL.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "smime/common/error.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

class TokenPrivateKeyTest : public SoftHsmTest,
                            public ::testing::WithParamInterface<KeyAlgorithm> {};

std::vector<unsigned char> sha(const EVP_MD* md, const std::string& text) {
  std::vector<unsigned char> digest(EVP_MD_get_size(md));
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &len, md, nullptr);
  return digest;
}

TEST_P(TokenPrivateKeyTest, SignsADigestInTheTokenThatVerifiesInSoftware) {
  auto& keys = key_store();
  KeyInfo key = keys.generate(GetParam(), "token-key-sign");
  EvpPkeyPtr priv = keys.private_key(key.id);
  EvpPkeyPtr pub = keys.public_key(key.id);
  ASSERT_TRUE(priv);

  const EVP_MD* md = GetParam() == KeyAlgorithm::ec_p384 ? EVP_sha384() : EVP_sha256();
  const std::vector<unsigned char> digest = sha(md, "hash first, then sign in the token");

  EvpPkeyCtxPtr sign_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, priv.get(), nullptr));
  ASSERT_EQ(EVP_PKEY_sign_init(sign_ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_signature_md(sign_ctx.get(), md), 1);
  std::size_t sig_len = 0;
  ASSERT_EQ(EVP_PKEY_sign(sign_ctx.get(), nullptr, &sig_len, digest.data(), digest.size()), 1);
  std::vector<unsigned char> sig(sig_len);
  ASSERT_EQ(EVP_PKEY_sign(sign_ctx.get(), sig.data(), &sig_len, digest.data(), digest.size()), 1)
      << drain_openssl_errors().size();
  sig.resize(sig_len);

  EvpPkeyCtxPtr verify_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub.get(), "provider=default"));
  ASSERT_EQ(EVP_PKEY_verify_init(verify_ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_signature_md(verify_ctx.get(), md), 1);
  EXPECT_EQ(EVP_PKEY_verify(verify_ctx.get(), sig.data(), sig.size(), digest.data(), digest.size()),
            1);

  // A different digest must not verify: the check is real.
  std::vector<unsigned char> other = sha(md, "something else");
  EXPECT_NE(EVP_PKEY_verify(verify_ctx.get(), sig.data(), sig.size(), other.data(), other.size()),
            1);
  drain_openssl_errors();
}

TEST_P(TokenPrivateKeyTest, PrivateKeyMaterialCannotBeExportedThroughOpenSSL) {
  auto& keys = key_store();
  KeyInfo key = keys.generate(GetParam(), "token-key-export");
  EvpPkeyPtr priv = keys.private_key(key.id);
  BIGNUM* secret = nullptr;
  const char* name = GetParam() == KeyAlgorithm::ec_p256 || GetParam() == KeyAlgorithm::ec_p384
                         ? OSSL_PKEY_PARAM_PRIV_KEY
                         : OSSL_PKEY_PARAM_RSA_D;
  // OpenSSL's legacy EC key answers 0 for a scalar it does not have; either way, no material.
  const int got = EVP_PKEY_get_bn_param(priv.get(), name, &secret);
  SecretBignumPtr owned(secret);
  EXPECT_TRUE(got != 1 || BN_is_zero(secret)) << BN_num_bits(secret) << " bits came out";
  BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_NE(PEM_write_bio_PrivateKey(bio.get(), priv.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  drain_openssl_errors();
}

INSTANTIATE_TEST_SUITE_P(Algorithms, TokenPrivateKeyTest,
                         ::testing::Values(KeyAlgorithm::rsa_2048, KeyAlgorithm::ec_p256,
                                           KeyAlgorithm::ec_p384),
                         [](const auto& info) {
                           std::string name(to_string(info.param));
                           for (auto& ch : name) ch = ch == '-' ? '_' : ch;
                           return name;
                         });

class ProviderRsaTest : public SoftHsmTest {};

TEST_F(ProviderRsaTest, PssSignatureAndPkcs1DecryptionRunInTheToken) {
  auto& keys = key_store();
  KeyInfo key = keys.generate(KeyAlgorithm::rsa_2048, "provider-rsa");
  EvpPkeyPtr priv = keys.private_key(key.id);
  EvpPkeyPtr pub = keys.public_key(key.id);

  // RSA-PSS over a message.
  const std::string message = "PSS through the provider";
  EvpMdCtxPtr sign(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  ASSERT_EQ(EVP_DigestSignInit(sign.get(), &pctx, EVP_sha256(), nullptr, priv.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
  std::size_t sig_len = 512;
  std::vector<unsigned char> sig(sig_len);
  ASSERT_EQ(EVP_DigestSign(sign.get(), sig.data(), &sig_len,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size()),
            1);
  EvpMdCtxPtr verify(EVP_MD_CTX_new());
  EVP_PKEY_CTX* vctx = nullptr;
  ASSERT_EQ(EVP_DigestVerifyInit(verify.get(), &vctx, EVP_sha256(), nullptr, pub.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(vctx, RSA_PKCS1_PSS_PADDING), 1);
  EXPECT_EQ(
      EVP_DigestVerify(verify.get(), sig.data(), sig_len,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()),
      1);

  // PKCS#1 v1.5 key transport: encrypt in software, decrypt in the token.
  const unsigned char cek[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  EvpPkeyCtxPtr enc(EVP_PKEY_CTX_new_from_pkey(nullptr, pub.get(), "provider=default"));
  ASSERT_EQ(EVP_PKEY_encrypt_init(enc.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(enc.get(), RSA_PKCS1_PADDING), 1);
  std::vector<unsigned char> wrapped(256);
  std::size_t wrapped_len = wrapped.size();
  ASSERT_EQ(EVP_PKEY_encrypt(enc.get(), wrapped.data(), &wrapped_len, cek, sizeof cek), 1);
  EvpPkeyCtxPtr dec(EVP_PKEY_CTX_new_from_pkey(nullptr, priv.get(), nullptr));
  ASSERT_EQ(EVP_PKEY_decrypt_init(dec.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(dec.get(), RSA_PKCS1_PADDING), 1);
  std::vector<unsigned char> out(256);
  std::size_t out_len = out.size();
  ASSERT_EQ(EVP_PKEY_decrypt(dec.get(), out.data(), &out_len, wrapped.data(), wrapped_len), 1);
  ASSERT_EQ(out_len, sizeof cek);
  EXPECT_EQ(0, memcmp(out.data(), cek, sizeof cek));
}

}  // namespace
}  // namespace smime::test
