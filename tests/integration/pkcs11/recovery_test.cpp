// Recovery of the token layer without a restart (SPEC §4), proven by making the token fail
// underneath it through a forwarding PKCS#11 module that injects errors or resets SoftHSM.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include "smime/common/error.hpp"
#include "smime/pkcs11/mechanisms.hpp"
#include "smime/pkcs11/token_key_store.hpp"
#include "support/faulty_module.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

class RecoveryTest : public SoftHsmTest {
 protected:
  void SetUp() override {
    home();  // the SoftHSM token exists before the wrapper loads SoftHSM
    faulty_.clear();
  }
  pkcs11::TokenConfig faulty_config(
      std::chrono::milliseconds interval = std::chrono::milliseconds(0)) {
    pkcs11::TokenConfig config = token_config();
    config.module_path = SMIME_TEST_FAULTY_MODULE;
    config.reinit_interval = interval;
    return config;
  }
  FaultyModule faulty_;
};

TEST_F(RecoveryTest, LostSessionIsReplacedAndOperationSucceeds) {
  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  KeyInfo key = keys.generate(KeyAlgorithm::ec_p256, "recover-session");

  faulty_.inject_on("C_FindObjectsInit", CKR_SESSION_HANDLE_INVALID, 1);
  auto found = keys.find(key.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->label, "recover-session");
  EXPECT_EQ(token->reinitializations(), 0u) << "a lost session needs no re-initialisation";
}

TEST_F(RecoveryTest, DeviceErrorReinitialisesAndOperationSucceeds) {
  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  KeyInfo key = keys.generate(KeyAlgorithm::rsa_2048, "recover-device");

  faulty_.inject(CKR_DEVICE_ERROR, 1);
  EXPECT_TRUE(keys.find(key.id).has_value());
  EXPECT_EQ(token->reinitializations(), 1u);
  EXPECT_TRUE(token->logged_in());
}

TEST_F(RecoveryTest, TokenNotPresentRecovers) {
  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  KeyInfo key = keys.generate(KeyAlgorithm::ec_p256, "recover-removed");
  faulty_.inject(CKR_TOKEN_NOT_PRESENT, 1);
  EXPECT_TRUE(keys.find(key.id).has_value());
  EXPECT_EQ(token->reinitializations(), 1u);
}

TEST_F(RecoveryTest, DeviceResetUnderTheLayerIsRecoveredWithoutRestart) {
  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  KeyInfo key = keys.generate(KeyAlgorithm::ec_p256, "recover-reset");
  const unsigned long logins_before = faulty_.call_count("C_Login");
  const unsigned long inits_before = faulty_.call_count("C_Initialize");

  // SoftHSM is finalised underneath: every session and the login are gone.
  faulty_.reset_device();
  auto found = keys.find(key.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->has_private) << "private objects are visible again: logged in anew";
  EXPECT_EQ(faulty_.call_count("C_Initialize"), inits_before + 1);
  EXPECT_EQ(faulty_.call_count("C_Login"), logins_before + 1);
  EXPECT_EQ(token->reinitializations(), 1u);

  // And the token keeps working for new keys afterwards.
  KeyInfo second = keys.generate(KeyAlgorithm::ec_p256, "after-reset");
  EXPECT_TRUE(keys.find(second.id).has_value());
}

TEST_F(RecoveryTest, ReinitialisationIsRateLimited) {
  auto token = pkcs11::Token::open(faulty_config(std::chrono::hours(1)));
  pkcs11::TokenKeyStore keys(token);
  keys.generate(KeyAlgorithm::ec_p256, "rate-limit");

  faulty_.reset_device();
  EXPECT_NO_THROW(keys.list());
  faulty_.reset_device();
  try {
    keys.list();
    FAIL() << "a second re-initialisation within the interval must not happen";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::token_failure);
    EXPECT_EQ(e.ckr(), CKR_CRYPTOKI_NOT_INITIALIZED);
  }
  EXPECT_EQ(token->reinitializations(), 1u);
}

TEST_F(RecoveryTest, PersistentFailureIsReportedAfterOneRetry) {
  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  faulty_.inject_on("C_FindObjectsInit", CKR_DEVICE_ERROR, 100);
  const unsigned long before = faulty_.call_count("C_FindObjectsInit");
  try {
    keys.list();
    FAIL() << "expected the device error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::token_failure);
    EXPECT_EQ(e.ckr(), CKR_DEVICE_ERROR);
    EXPECT_NE(std::string(e.detail()).find("CKR_DEVICE_ERROR"), std::string::npos);
  }
  EXPECT_EQ(faulty_.call_count("C_FindObjectsInit"), before + 2) << "one try and one retry";
}

// Token status and probing query the slot itself: a slot that vanished under them (a network
// HSM renumbering its slots, SoftHSM2 re-reading a store another process was writing) is
// selected anew and the query answered, instead of failing the status (seen in CI through
// p11-kit server as C_GetMechanismList CKR_SLOT_ID_INVALID).
TEST_F(RecoveryTest, SlotQueriesRecoverFromAVanishedSlot) {
  auto token = pkcs11::Token::open(faulty_config());
  token->login();
  const unsigned long lists_before = faulty_.call_count("C_GetMechanismList");
  faulty_.inject_on("C_GetMechanismList", CKR_SLOT_ID_INVALID, 1);
  pkcs11::TokenCapabilities caps = pkcs11::probe_capabilities(*token, false);
  EXPECT_TRUE(caps.ecdsa);
  EXPECT_GE(faulty_.call_count("C_GetMechanismList"), lists_before + 2)
      << "failed once, asked again after the recovery";
  EXPECT_EQ(token->reinitializations(), 1u);
  EXPECT_TRUE(token->logged_in()) << "the recovery logs in again";

  faulty_.inject_on("C_GetTokenInfo", CKR_SLOT_ID_INVALID, 1);
  pkcs11::TokenDescription description = token->describe();
  EXPECT_TRUE(description.initialized);
  EXPECT_EQ(token->reinitializations(), 2u);
}

TEST_F(RecoveryTest, SlotQueriesReportOtherFailures) {
  auto token = pkcs11::Token::open(faulty_config());
  faulty_.inject_on("C_GetMechanismList", CKR_FUNCTION_FAILED, 1);
  try {
    pkcs11::probe_capabilities(*token, false);
    FAIL() << "expected the module's failure";
  } catch (const Error& e) {
    EXPECT_EQ(e.ckr(), CKR_FUNCTION_FAILED);
    EXPECT_NE(std::string(e.detail()).find("C_GetMechanismList"), std::string::npos);
  }
  EXPECT_EQ(token->reinitializations(), 0u);
}

TEST_F(RecoveryTest, NonRecoverableErrorsAreNotRetried) {
  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  faulty_.inject_on("C_FindObjectsInit", CKR_FUNCTION_FAILED, 1);
  EXPECT_THROW(keys.list(), Error);
  EXPECT_EQ(token->reinitializations(), 0u);
  EXPECT_NO_THROW(keys.list());
}

TEST_F(RecoveryTest, WrongPinIsReportedOnceAndNeverRetried) {
  TempDir dir;
  const std::string pin_file = dir.file("wrong.pin");
  write_file(pin_file, "not-the-pin\n");
  std::filesystem::permissions(pin_file, std::filesystem::perms::owner_read);
  pkcs11::TokenConfig config = faulty_config();
  config.pin = pkcs11::PinSource::from_file(pin_file);
  auto token = pkcs11::Token::open(config);
  const unsigned long before = faulty_.call_count("C_Login");

  try {
    token->login();
    FAIL() << "wrong PIN accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::pin_incorrect);
    EXPECT_EQ(e.ckr(), CKR_PIN_INCORRECT);
    EXPECT_NE(std::string(e.what()).find("wrong PIN"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("not-the-pin"), std::string::npos) << "PIN leaked";
  }
  EXPECT_THROW(token->login(), Error);
  EXPECT_THROW(pkcs11::TokenKeyStore{token}, Error);
  EXPECT_EQ(faulty_.call_count("C_Login"), before + 1) << "a rejected PIN is never retried";
  EXPECT_FALSE(token->logged_in());
}

}  // namespace
}  // namespace smime::test
