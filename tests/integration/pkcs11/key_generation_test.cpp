// Key pairs generated inside a real SoftHSM2 token: sizes, curves and the attributes the
// token reports through C_GetAttributeValue.
#include <gtest/gtest.h>

#include "smime/common/error.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/token_attributes.hpp"

namespace smime::test {
namespace {

struct GenerationCase {
  KeyAlgorithm algorithm;
  KeyType type;
  unsigned bits;
  const char* curve;
};

class KeyGenerationTest : public SoftHsmTest,
                          public ::testing::WithParamInterface<GenerationCase> {};

TEST_P(KeyGenerationTest, GeneratesNonExtractableSensitivePrivateKeyWithSharedId) {
  const GenerationCase& c = GetParam();
  auto& keys = key_store();
  const std::string label = "gen-" + std::string(to_string(c.algorithm));
  KeyInfo key = keys.generate(c.algorithm, label);

  EXPECT_EQ(key.label, label);
  EXPECT_EQ(key.type, c.type);
  EXPECT_EQ(key.bits, c.bits);
  EXPECT_EQ(key.curve, c.curve);
  EXPECT_TRUE(key.has_private);
  EXPECT_TRUE(key.has_public);
  EXPECT_EQ(key.uri.find("pin-value"), std::string::npos);
  EXPECT_NE(key.uri.find("type=private"), std::string::npos);

  // The id is the hash of the public key (the certificate's SKI convention).
  EvpPkeyPtr pub = keys.public_key(key.id);
  EXPECT_EQ(key.id, to_hex(key_id_for(pub.get())));

  // What the token itself says, read with C_GetAttributeValue.
  ObjectAttributes priv = read_key_object(*shared_token(), key.id, CKO_PRIVATE_KEY);
  EXPECT_EQ(priv.count, 1u);
  EXPECT_TRUE(priv.sensitive);
  EXPECT_FALSE(priv.extractable);
  EXPECT_TRUE(priv.is_private);
  EXPECT_TRUE(priv.token);
  EXPECT_TRUE(priv.always_sensitive);
  EXPECT_TRUE(priv.never_extractable);
  EXPECT_EQ(priv.secret_read_rv, CKR_ATTRIBUTE_SENSITIVE) << "private value must not be readable";
  ObjectAttributes pubobj = read_key_object(*shared_token(), key.id, CKO_PUBLIC_KEY);
  EXPECT_EQ(pubobj.count, 1u);
  EXPECT_EQ(pubobj.id_hex, priv.id_hex);
  EXPECT_EQ(priv.id_hex, key.id);
}

INSTANTIATE_TEST_SUITE_P(
    AllAlgorithms, KeyGenerationTest,
    ::testing::Values(GenerationCase{KeyAlgorithm::rsa_2048, KeyType::rsa, 2048, ""},
                      GenerationCase{KeyAlgorithm::rsa_3072, KeyType::rsa, 3072, ""},
                      GenerationCase{KeyAlgorithm::rsa_4096, KeyType::rsa, 4096, ""},
                      GenerationCase{KeyAlgorithm::ec_p256, KeyType::ec, 256, "P-256"},
                      GenerationCase{KeyAlgorithm::ec_p384, KeyType::ec, 384, "P-384"}),
    [](const auto& info) {
      std::string name(to_string(info.param.algorithm));
      for (auto& ch : name) ch = ch == '-' ? '_' : ch;
      return name;
    });

class KeyManagementTest : public SoftHsmTest {};

TEST_F(KeyManagementTest, ListShowsGeneratedKeysAndDeleteRemovesEveryObject) {
  auto& keys = key_store();
  KeyInfo a = keys.generate(KeyAlgorithm::ec_p256, "list-a");
  KeyInfo b = keys.generate(KeyAlgorithm::rsa_2048, "list-b");
  auto listed = keys.list();
  auto has = [&](const std::string& id) {
    for (const auto& k : keys.list()) {
      if (k.id == id) return true;
    }
    return false;
  };
  EXPECT_GE(listed.size(), 2u);
  EXPECT_TRUE(has(a.id));
  EXPECT_TRUE(has(b.id));

  keys.remove(a.id);
  EXPECT_FALSE(has(a.id));
  EXPECT_TRUE(has(b.id));
  EXPECT_EQ(read_key_object(*shared_token(), a.id, CKO_PRIVATE_KEY).count, 0u);
  EXPECT_EQ(read_key_object(*shared_token(), a.id, CKO_PUBLIC_KEY).count, 0u);
}

TEST_F(KeyManagementTest, DeletingAnUnknownKeyFailsAndChangesNothing) {
  auto& keys = key_store();
  keys.generate(KeyAlgorithm::ec_p256, "keep-me");
  const auto before = keys.list().size();
  try {
    keys.remove("00112233445566778899aabbccddeeff00112233");
    FAIL() << "expected not_found";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
  EXPECT_THROW(keys.remove("not-hex"), Error);
  EXPECT_EQ(keys.list().size(), before);
}

TEST_F(KeyManagementTest, EmptyLabelIsRefused) {
  EXPECT_THROW(key_store().generate(KeyAlgorithm::ec_p256, ""), Error);
}

}  // namespace
}  // namespace smime::test
