// A real SoftHSM2 token for the tests: created once per test process in a temp directory
// (its own SOFTHSM2_CONF, random PINs in 0600 files), removed when the process ends.
// ctest runs every test in its own process, so every test gets a fresh token.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "smime/pkcs11/token.hpp"
#include "smime/pkcs11/token_key_store.hpp"
#include "support/process.hpp"

namespace smime::test {

// A temporary directory removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline constexpr const char* kTestTokenLabel = "test-token";

// The process-wide dev token (home directory with softhsm2.conf, tokens/, user.pin, so.pin).
const std::filesystem::path& softhsm_home();

// The dev token as the tests' module reaches it (SoftHSM2, or p11-kit's client in remote mode).
pkcs11::TokenConfig test_token_config();

// Whether the tests' module offers `mechanism` for the dev token. p11-kit 0.24's RPC (Debian
// 12) hides the mechanisms whose parameters it cannot carry, CKM_ECDH1_DERIVE and the AES key
// wraps among them: through it, a token cannot decrypt for an EC key or export a key.
bool token_offers(CK_MECHANISM_TYPE mechanism);

// Skips a test that needs `mechanism` when the module does not offer it (remote mode);
// RemoteTokenLimitsTest checks what the appliance answers instead.
#define SMIME_SKIP_UNLESS_TOKEN_OFFERS(mechanism)                 \
  if (!::smime::test::token_offers(mechanism))                    \
  GTEST_SKIP() << "the token's module does not offer " #mechanism \
                  " (p11-kit 0.24 RPC hides "                     \
                  "it)"

class SoftHsmTest : public ::testing::Test {
 protected:
  const std::filesystem::path& home() const { return softhsm_home(); }
  pkcs11::TokenConfig token_config() const;
  std::shared_ptr<pkcs11::Token> open_token() const;
  // The key store of a shared, logged-in token (one login per process, as in production).
  pkcs11::TokenKeyStore& key_store();
  std::shared_ptr<pkcs11::Token> shared_token();

  // Runs the built smimectl with --home <home> and the given arguments.
  ProcessResult smimectl(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {}) const;
  ProcessResult smimectl_in(const std::filesystem::path& home, const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env = {}) const;

  TempDir scratch_;
};

}  // namespace smime::test
