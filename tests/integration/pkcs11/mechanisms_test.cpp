// Capability probing against SoftHSM2 2.6: the mechanisms it lists, and the two gaps SPEC §12
// measured (no OAEP with SHA-256, ECDH only with CKD_NULL) found by trying them.
#include "smime/pkcs11/mechanisms.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/softhsm_fixture.hpp"
#include "support/token_server.hpp"

namespace smime::test {
namespace {

class MechanismsTest : public SoftHsmTest {};

TEST_F(MechanismsTest, ListsWhatSoftHsmOffers) {
  auto token = shared_token();
  pkcs11::TokenCapabilities caps = pkcs11::probe_capabilities(*token, false);
  EXPECT_TRUE(caps.rsa_keygen);
  EXPECT_TRUE(caps.ec_keygen);
  EXPECT_TRUE(caps.rsa_pkcs);
  EXPECT_TRUE(caps.rsa_pss);
  EXPECT_TRUE(caps.rsa_oaep);
  EXPECT_TRUE(caps.rsa_x509);
  EXPECT_TRUE(caps.ecdsa);
  // SoftHSM2 offers ECDH; p11-kit 0.24's RPC client hides it (it cannot carry its parameters).
  const bool ecdh = !remote_token_mode();
  EXPECT_EQ(caps.ecdh_derive, ecdh);
  auto has = [&](const char* name) {
    return std::find(caps.mechanisms.begin(), caps.mechanisms.end(), name) != caps.mechanisms.end();
  };
  EXPECT_TRUE(has("CKM_RSA_PKCS"));
  EXPECT_EQ(has("CKM_ECDH1_DERIVE"), ecdh);
  EXPECT_FALSE(caps.oaep_sha256.has_value()) << "not probed actively";
}

TEST_F(MechanismsTest, ActiveProbeFindsTheGapsThatNeedSoftwareCompletion) {
  const std::size_t objects_before = key_store().list().size();  // logged in
  auto token = shared_token();
  pkcs11::TokenCapabilities caps = pkcs11::probe_capabilities(*token, true);
  ASSERT_TRUE(caps.oaep_sha256.has_value());
  EXPECT_FALSE(*caps.oaep_sha256);
  EXPECT_TRUE(caps.needs_oaep_completion());
  if (remote_token_mode()) {
    // p11-kit 0.24's RPC carries no ECDH: there is nothing to probe.
    EXPECT_FALSE(caps.ecdh_kdf.value_or(false));
    EXPECT_FALSE(caps.ecdh_raw.value_or(false));
  } else {
    ASSERT_TRUE(caps.ecdh_kdf.has_value());
    ASSERT_TRUE(caps.ecdh_raw.has_value());
    EXPECT_FALSE(*caps.ecdh_kdf);
    EXPECT_TRUE(*caps.ecdh_raw) << "raw ECDH is what the software completion builds on";
    EXPECT_TRUE(caps.needs_ecdh_completion());
  }
  // The probe leaves no objects behind.
  EXPECT_EQ(key_store().list().size(), objects_before);
}

}  // namespace
}  // namespace smime::test
