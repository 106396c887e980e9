// Certificate objects stored in the token beside their key, linked by one CKA_ID.
#include <gtest/gtest.h>

#include "smime/common/error.hpp"
#include "smime/provisioning/certificate_builder.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

class CertificateObjectTest : public SoftHsmTest {};

TEST_F(CertificateObjectTest, StoresReadsReplacesAndDeletesWithTheKey) {
  auto& keys = key_store();
  KeyInfo key = keys.generate(KeyAlgorithm::ec_p256, "with-cert");
  EXPECT_FALSE(key.has_certificate);
  EXPECT_FALSE(keys.read_certificate(key.id).has_value());

  EvpPkeyPtr pub = keys.public_key(key.id);
  EvpPkeyPtr priv = keys.private_key(key.id);
  provisioning::SmimeIdentity who{"", {"cert@example.org"}};
  auto first =
      provisioning::to_der(provisioning::build_self_signed(who, pub.get(), priv.get(), 30).get());
  keys.store_certificate(key.id, "with-cert", first);
  EXPECT_EQ(keys.read_certificate(key.id), first);
  EXPECT_TRUE(keys.find(key.id)->has_certificate);

  auto second =
      provisioning::to_der(provisioning::build_self_signed(who, pub.get(), priv.get(), 60).get());
  ASSERT_NE(first, second);
  keys.store_certificate(key.id, "with-cert", second);
  EXPECT_EQ(keys.read_certificate(key.id), second) << "replaced, not duplicated";

  keys.remove(key.id);
  EXPECT_FALSE(keys.read_certificate(key.id).has_value());
  EXPECT_FALSE(keys.find(key.id).has_value());
}

TEST_F(CertificateObjectTest, RejectsBytesThatAreNotACertificate) {
  auto& keys = key_store();
  KeyInfo key = keys.generate(KeyAlgorithm::ec_p256, "bad-cert");
  const std::vector<unsigned char> garbage = {0x30, 0x03, 0x02, 0x01, 0x00, 0xff};
  try {
    keys.store_certificate(key.id, "bad-cert", garbage);
    FAIL() << "garbage stored";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
  }
  EXPECT_FALSE(keys.read_certificate(key.id).has_value());
}

}  // namespace
}  // namespace smime::test
