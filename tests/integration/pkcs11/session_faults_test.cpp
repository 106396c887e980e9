// What a network HSM does to sessions, through the fault-injecting module: every session and
// the login closed underneath (a fail-over), the login alone dropped, idle sessions closed by
// the token, a token with few sessions, and a pool at its bound. Signing goes on in every case
// with the same token key object OpenSSL holds, and nothing ever reads the terminal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/pkcs11/token_key_store.hpp"
#include "support/faulty_module.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

// A signature with the token key, checked with its software public key.
bool signs_and_verifies(EVP_PKEY* key, EVP_PKEY* public_key) {
  const std::string text = "signed in the token";
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    return false;
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    drain_openssl_errors();
    return false;
  }
  EvpMdCtxPtr verify(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(verify.get(), nullptr, EVP_sha256(), nullptr, public_key) == 1 &&
         EVP_DigestVerify(verify.get(), signature.data(), length,
                          reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
}

class SessionFaultsTest : public SoftHsmTest {
 protected:
  void SetUp() override {
    home();  // the SoftHSM token exists before the wrapper loads SoftHSM
    faulty_.clear();
  }
  void TearDown() override { faulty_.clear(); }

  pkcs11::TokenConfig faulty_config() {
    pkcs11::TokenConfig config = token_config();
    config.module_path = SMIME_TEST_FAULTY_MODULE;
    config.reinit_interval = std::chrono::milliseconds(0);
    return config;
  }

  FaultyModule faulty_;
};

TEST_F(SessionFaultsTest, EverySessionAndTheLoginClosedUnderneathSigningGoesOnWithoutAPrompt) {
  // stdin is a pipe nobody writes to: a library asking for a PIN would block here for good.
  int never_written[2];
  ASSERT_EQ(::pipe(never_written), 0);
  const int saved_stdin = ::dup(0);
  ::dup2(never_written[0], 0);

  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  const KeyInfo info = keys.generate(KeyAlgorithm::rsa_2048, "fail-over");
  EvpPkeyPtr key = keys.private_key(info.id);
  EvpPkeyPtr pub = keys.public_key(info.id);
  ASSERT_TRUE(signs_and_verifies(key.get(), pub.get()));

  faulty_.close_all_sessions();
  EXPECT_TRUE(signs_and_verifies(key.get(), pub.get()));
  EXPECT_TRUE(token->logged_in());
  EXPECT_GE(faulty_.call_count("C_Login"), 2u) << "the login was made again";

  ::dup2(saved_stdin, 0);
  ::close(saved_stdin);
  ::close(never_written[0]);
  ::close(never_written[1]);
}

TEST_F(SessionFaultsTest, ALostLoginIsMadeAgain) {
  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  const KeyInfo info = keys.generate(KeyAlgorithm::ec_p256, "lost-login");
  EvpPkeyPtr key = keys.private_key(info.id);
  EvpPkeyPtr pub = keys.public_key(info.id);
  ASSERT_TRUE(signs_and_verifies(key.get(), pub.get()));
  const unsigned long logins = faulty_.call_count("C_Login");

  faulty_.drop_login();
  EXPECT_TRUE(signs_and_verifies(key.get(), pub.get()));
  EXPECT_EQ(faulty_.call_count("C_Login"), logins + 1);
}

TEST_F(SessionFaultsTest, IdleSessionsTheTokenClosedAreReplaced) {
  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  const KeyInfo info = keys.generate(KeyAlgorithm::ec_p256, "idle-sessions");
  EvpPkeyPtr key = keys.private_key(info.id);
  EvpPkeyPtr pub = keys.public_key(info.id);
  ASSERT_TRUE(signs_and_verifies(key.get(), pub.get()));

  faulty_.close_idle_sessions(30);
  // Long enough for every pooled session (and the login session) to count as idle.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const unsigned long opened = faulty_.call_count("C_OpenSession");
  EXPECT_TRUE(signs_and_verifies(key.get(), pub.get()));
  EXPECT_GT(faulty_.call_count("C_OpenSession"), opened) << "a fresh session was opened";
}

TEST_F(SessionFaultsTest, ThePoolStaysBelowTheTokensSessionLimit) {
  faulty_.limit_sessions(4);  // the login session and three for the pool
  auto token = pkcs11::Token::open(faulty_config());
  EXPECT_EQ(token->pool_limit(), 3u);
  pkcs11::TokenKeyStore keys(token);
  const KeyInfo info = keys.generate(KeyAlgorithm::ec_p256, "few-sessions");
  EvpPkeyPtr key = keys.private_key(info.id);
  EvpPkeyPtr pub = keys.public_key(info.id);

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (!signs_and_verifies(key.get(), pub.get())) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(faulty_.most_open_sessions(), 4u);
}

TEST_F(SessionFaultsTest, ABorrowerWaitsForAFreeSessionThenGetsSessionCount) {
  pkcs11::TokenConfig config = faulty_config();
  config.max_sessions = 1;
  config.session_wait = std::chrono::milliseconds(50);
  auto token = pkcs11::Token::open(config);
  pkcs11::TokenKeyStore keys(token);
  keys.list();  // logged in, one pooled session
  {
    pkcs11::Session held = token->session();
    try {
      token->session();
      FAIL() << "a second session beyond the bound";
    } catch (const Error& e) {
      EXPECT_EQ(e.ckr(), CKR_SESSION_COUNT);
      EXPECT_TRUE(is_token_unavailable(e)) << "answered 503";
      EXPECT_NE(std::string(e.what()).find("All 1 sessions"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(token->session()) << "free again once returned";
}

TEST_F(SessionFaultsTest, ASlowTokenSlowsSigningDownAndNothingElse) {
  auto token = pkcs11::Token::open(faulty_config());
  pkcs11::TokenKeyStore keys(token);
  const KeyInfo info = keys.generate(KeyAlgorithm::rsa_2048, "slow-token");
  EvpPkeyPtr key = keys.private_key(info.id);
  EvpPkeyPtr pub = keys.public_key(info.id);
  faulty_.set_latency(20);  // every call, as over a slow network link
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        if (!signs_and_verifies(key.get(), pub.get())) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(token->reinitializations(), 0u) << "slowness is not a failure";
}

}  // namespace
}  // namespace smime::test
