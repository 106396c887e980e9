// Private keys imported from PEM into the real token: every accepted format, the default
// non-extractable attributes, the exportable option and the bad inputs that change nothing.
#include <gtest/gtest.h>

#include "smime/common/error.hpp"
#include "smime/common/private_key_decoder.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/test_keys.hpp"
#include "support/token_attributes.hpp"

namespace smime::test {
namespace {

struct ImportCase {
  const char* name;
  const char* kind;    // software key kind
  const char* format;  // pkcs1, pkcs8, sec1, encrypted
};

class KeyImportFormatTest : public SoftHsmTest, public ::testing::WithParamInterface<ImportCase> {};

TEST_P(KeyImportFormatTest, ImportsIntoTheTokenNonExtractable) {
  const ImportCase& c = GetParam();
  EvpPkeyPtr software = generate_software_key(c.kind);
  const std::string format = c.format;
  std::string pem = format == "pkcs1"       ? pem_pkcs1(software.get())
                    : format == "sec1"      ? pem_sec1(software.get())
                    : format == "encrypted" ? pem_encrypted_pkcs8(software.get(), "s3cret pass")
                                            : pem_pkcs8(software.get());
  SecretString passphrase("s3cret pass");
  auto bytes = as_bytes(pem);
  EvpPkeyPtr decoded = decode_private_key(bytes, format == "encrypted" ? &passphrase : nullptr);

  KeyInfo key =
      key_store().import_private_key(decoded.get(), {std::string("imp-") + c.name, false});
  EXPECT_TRUE(key.has_private);
  EXPECT_TRUE(key.has_public) << "a public key object is always written beside the private key";
  EXPECT_EQ(key.id, to_hex(key_id_for(software.get())));
  EXPECT_TRUE(same_public_key(key_store().public_key(key.id).get(), software.get()));

  ObjectAttributes priv = read_key_object(*shared_token(), key.id, CKO_PRIVATE_KEY);
  EXPECT_EQ(priv.count, 1u);
  EXPECT_TRUE(priv.sensitive);
  EXPECT_FALSE(priv.extractable);
  EXPECT_TRUE(priv.is_private);
  EXPECT_EQ(priv.secret_read_rv, CKR_ATTRIBUTE_SENSITIVE);
  EXPECT_EQ(read_key_object(*shared_token(), key.id, CKO_PUBLIC_KEY).count, 1u);

  // The imported key works through pkcs11-provider: sign here, verify in software.
  EvpPkeyPtr handle = key_store().private_key(key.id);
  const unsigned char message[] = "imported key signs";
  EvpMdCtxPtr sign(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestSignInit(sign.get(), nullptr, EVP_sha256(), nullptr, handle.get()), 1);
  std::vector<unsigned char> sig(1024);
  std::size_t sig_len = sig.size();
  ASSERT_EQ(EVP_DigestSign(sign.get(), sig.data(), &sig_len, message, sizeof message), 1);
  EvpMdCtxPtr verify(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestVerifyInit(verify.get(), nullptr, EVP_sha256(), nullptr, software.get()), 1);
  EXPECT_EQ(EVP_DigestVerify(verify.get(), sig.data(), sig_len, message, sizeof message), 1);
}

INSTANTIATE_TEST_SUITE_P(Formats, KeyImportFormatTest,
                         ::testing::Values(ImportCase{"rsa_pkcs1", "rsa-2048", "pkcs1"},
                                           ImportCase{"rsa_pkcs8", "rsa-2048", "pkcs8"},
                                           ImportCase{"rsa_encrypted", "rsa-3072", "encrypted"},
                                           ImportCase{"ec256_sec1", "ec-p256", "sec1"},
                                           ImportCase{"ec256_pkcs8", "ec-p256", "pkcs8"},
                                           ImportCase{"ec384_sec1", "ec-p384", "sec1"},
                                           ImportCase{"ec384_encrypted", "ec-p384", "encrypted"}),
                         [](const auto& info) { return std::string(info.param.name); });

class KeyImportTest : public SoftHsmTest {
 protected:
  std::size_t object_count() { return key_store().list().size(); }
};

TEST_F(KeyImportTest, ExportableOnlyOnExplicitRequest) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_AES_KEY_WRAP_PAD);
  EvpPkeyPtr software = generate_software_key("ec-p256");
  KeyInfo key = key_store().import_private_key(software.get(), {"exportable", true});
  ObjectAttributes priv = read_key_object(*shared_token(), key.id, CKO_PRIVATE_KEY);
  EXPECT_TRUE(priv.extractable);
  // Exportable only wrapped: the components stay unreadable.
  EXPECT_TRUE(priv.sensitive);
  EXPECT_EQ(priv.secret_read_rv, CKR_ATTRIBUTE_SENSITIVE);
  EXPECT_TRUE(key.extractable);
  // The export unwraps to the very key that was imported.
  EvpPkeyPtr exported = key_store().export_private_key(key.id);
  ASSERT_TRUE(exported);
  EXPECT_EQ(EVP_PKEY_eq(exported.get(), software.get()), 1);
}

TEST_F(KeyImportTest, ExportableRsaKeyRoundTripsThroughTheWrap) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_AES_KEY_WRAP_PAD);
  EvpPkeyPtr software = generate_software_key("rsa-2048");
  KeyInfo key = key_store().import_private_key(software.get(), {"exportable-rsa", true});
  ObjectAttributes priv = read_key_object(*shared_token(), key.id, CKO_PRIVATE_KEY);
  EXPECT_TRUE(priv.sensitive);
  EvpPkeyPtr exported = key_store().export_private_key(key.id);
  ASSERT_TRUE(exported);
  EXPECT_EQ(EVP_PKEY_eq(exported.get(), software.get()), 1);
}

TEST_F(KeyImportTest, DuplicateImportIsAConflict) {
  EvpPkeyPtr software = generate_software_key("ec-p256");
  key_store().import_private_key(software.get(), {"dup", false});
  const auto before = object_count();
  try {
    key_store().import_private_key(software.get(), {"dup-again", false});
    FAIL() << "duplicate accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
  }
  EXPECT_EQ(object_count(), before);
}

TEST_F(KeyImportTest, CorruptPemIsRejectedAndNothingChanges) {
  const auto before = object_count();
  std::string pem = pem_pkcs8(generate_software_key("rsa-2048").get());
  pem[pem.size() / 2] = '!';
  pem.erase(pem.size() / 2 + 1, 40);
  try {
    decode_private_key(as_bytes(pem));
    FAIL() << "corrupt PEM accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_NE(std::string(e.what()).find("PKCS#8"), std::string::npos) << e.what();
  }
  EXPECT_EQ(object_count(), before);
}

TEST_F(KeyImportTest, WrongPassphraseHasItsOwnMessage) {
  const auto before = object_count();
  std::string pem = pem_encrypted_pkcs8(generate_software_key("ec-p256").get(), "right");
  SecretString wrong("wrong");
  try {
    decode_private_key(as_bytes(pem), &wrong);
    FAIL() << "wrong passphrase accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_passphrase);
    EXPECT_NE(std::string(e.what()).find("passphrase"), std::string::npos);
  }
  EXPECT_EQ(object_count(), before);
}

TEST_F(KeyImportTest, UnsupportedKeyTypesAreRefusedByName) {
  const auto before = object_count();
  for (const char* kind : {"ed25519", "dsa"}) {
    EvpPkeyPtr key = generate_software_key(kind);
    try {
      decode_private_key(as_bytes(pem_pkcs8(key.get())));
      FAIL() << kind << " accepted by the decoder";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::unsupported) << kind;
    }
    try {
      key_store().import_private_key(key.get(), {"unsupported", false});
      FAIL() << kind << " accepted by the key store";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::unsupported) << kind;
      EXPECT_NE(std::string(e.what()).find("only RSA and EC"), std::string::npos);
    }
  }
  EXPECT_EQ(object_count(), before);
}

}  // namespace
}  // namespace smime::test
