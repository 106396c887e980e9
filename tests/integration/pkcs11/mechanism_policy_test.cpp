// A token whose policy refuses raw RSA (CKM_RSA_X_509), as many production HSMs do: RSA-OAEP
// with the token's own CKM_RSA_PKCS_OAEP still decrypts, and what needs the raw operation
// (OAEP with a hash or label the token cannot do) fails with a reason naming the mechanisms.
#include <gtest/gtest.h>
#include <openssl/rsa.h>

#include "smime/common/error.hpp"
#include "smime/pkcs11/mechanisms.hpp"
#include "smime/pkcs11/token_key_store.hpp"
#include "support/faulty_module.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

class MechanismPolicyTest : public SoftHsmTest {
 protected:
  void SetUp() override {
    home();  // the SoftHSM token exists before the wrapper loads SoftHSM
    faulty_.clear();
  }
  void TearDown() override { faulty_.clear(); }

  std::shared_ptr<pkcs11::Token> faulty_token() {
    pkcs11::TokenConfig config = token_config();
    config.module_path = SMIME_TEST_FAULTY_MODULE;
    return pkcs11::Token::open(config);
  }

  static std::vector<unsigned char> oaep_encrypt(EVP_PKEY* pub, const EVP_MD* md,
                                                 std::span<const unsigned char> message) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub, "provider=default"));
    std::vector<unsigned char> out(static_cast<std::size_t>(EVP_PKEY_get_size(pub)));
    std::size_t length = out.size();
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1 ||
        EVP_PKEY_encrypt(ctx.get(), out.data(), &length, message.data(), message.size()) != 1) {
      throw std::runtime_error("OAEP encryption failed");
    }
    out.resize(length);
    return out;
  }

  FaultyModule faulty_;
};

TEST_F(MechanismPolicyTest, WithoutRawRsaOaepSha1DecryptsInTheTokensOwnOaep) {
  faulty_.disable_mechanism(CKM_RSA_X_509);
  pkcs11::TokenKeyStore keys(faulty_token());
  const pkcs11::TokenCapabilities caps = probe_capabilities(keys.token(), /*active=*/false);
  EXPECT_FALSE(caps.rsa_x509) << "the policy hides raw RSA";
  EXPECT_TRUE(caps.rsa_oaep);

  const KeyStore::NativeSupport native = keys.native_support();
  EXPECT_FALSE(native.rsa_raw);
  EXPECT_TRUE(native.rsa_oaep_sha1);
  EXPECT_FALSE(native.rsa_oaep_sha256);

  KeyInfo key = keys.generate(KeyAlgorithm::rsa_2048, "policy-oaep");
  EvpPkeyPtr pub = keys.public_key(key.id);
  const std::vector<unsigned char> cek(16, 0x77);
  SecureBytes plain =
      keys.decrypt_rsa_oaep_native(key.id, oaep_encrypt(pub.get(), EVP_sha1(), cek), EVP_sha1());
  EXPECT_EQ(std::vector<unsigned char>(plain.begin(), plain.end()), cek);

  // The software completion really needs the refused mechanism: it fails in the token.
  const auto sha256 = oaep_encrypt(pub.get(), EVP_sha256(), cek);
  try {
    keys.decrypt_rsa_oaep_completed(key.id, sha256, EVP_sha256(), EVP_sha256(), {});
    FAIL() << "raw RSA worked although the token refuses it";
  } catch (const Error& e) {
    EXPECT_EQ(e.ckr(), CKR_MECHANISM_INVALID) << e.what();
  }
}

TEST_F(MechanismPolicyTest, TheActiveProbeFindsTheTokensOaepSha1AndNoSha256) {
  faulty_.disable_mechanism(CKM_RSA_X_509);
  pkcs11::TokenKeyStore keys(faulty_token());
  const pkcs11::TokenCapabilities caps = probe_capabilities(keys.token(), /*active=*/true);
  ASSERT_TRUE(caps.oaep_sha1.has_value());
  EXPECT_TRUE(*caps.oaep_sha1);
  EXPECT_FALSE(caps.oaep_sha256.value_or(true));
  EXPECT_TRUE(caps.needs_oaep_completion());
}

}  // namespace
}  // namespace smime::test
