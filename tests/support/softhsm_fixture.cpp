#include "support/softhsm_fixture.hpp"

#include <stdlib.h>

#include <mutex>

#include "smime/provisioning/dev_token.hpp"
#include "support/token_server.hpp"

namespace smime::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "smime-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {
TokenServer* g_token_server = nullptr;  // remote mode only; stopped by the atexit handler

// Remote mode: from here on this process and its children reach the token through p11-kit.
void serve_token_remotely(const std::filesystem::path& dir) {
  g_token_server = new TokenServer(  // NOLINT(cppcoreguidelines-owning-memory)
      dir / "p11-kit.sock", dir / "home" / "softhsm2.conf", kTestTokenLabel);
  g_token_server->start();
  ::setenv("P11_KIT_SERVER_ADDRESS", g_token_server->address().c_str(), 1);
  ::setenv("FAULTY_PKCS11_TARGET", kP11KitClientModule, 0);
}
}  // namespace

TokenServer* shared_token_server() {
  softhsm_home();
  return g_token_server;
}

const std::filesystem::path& softhsm_home() {
  static TempDir* dir = nullptr;  // lives until exit; removed by the atexit handler below
  static std::once_flag once;
  std::call_once(once, [] {
    dir = new TempDir();  // NOLINT(cppcoreguidelines-owning-memory)
    // The token is made with SoftHSM2 itself, then (remote mode) served by p11-kit.
    provisioning::init_dev_token(dir->path() / "home", kTestTokenLabel, SMIME_TEST_SOFTHSM_MODULE);
    if (remote_token_mode()) serve_token_remotely(dir->path());
    std::atexit([] {
      if (g_token_server != nullptr) g_token_server->stop();
      std::error_code ec;
      std::filesystem::remove_all(dir->path(), ec);
    });
  });
  static const std::filesystem::path home = dir->path() / "home";
  return home;
}

pkcs11::TokenConfig test_token_config() {
  pkcs11::TokenConfig config;
  config.module_path = test_module_path();
  config.label = kTestTokenLabel;
  config.pin = pkcs11::PinSource::from_file((softhsm_home() / "user.pin").string());
  return config;
}

bool token_offers(CK_MECHANISM_TYPE mechanism) {
  static std::shared_ptr<pkcs11::Token> token = pkcs11::Token::open(test_token_config());
  CK_MECHANISM_INFO info{};
  return token->fn()->C_GetMechanismInfo(token->slot(), mechanism, &info) == CKR_OK;
}

pkcs11::TokenConfig SoftHsmTest::token_config() const {
  return test_token_config();
}

std::shared_ptr<pkcs11::Token> SoftHsmTest::open_token() const {
  return pkcs11::Token::open(token_config());
}

std::shared_ptr<pkcs11::Token> SoftHsmTest::shared_token() {
  static std::shared_ptr<pkcs11::Token> token = open_token();
  return token;
}

pkcs11::TokenKeyStore& SoftHsmTest::key_store() {
  static pkcs11::TokenKeyStore store(shared_token());
  return store;
}

ProcessResult SoftHsmTest::smimectl(const std::vector<std::string>& args,
                                    const std::map<std::string, std::string>& env) const {
  return smimectl_in(home(), args, env);
}

ProcessResult SoftHsmTest::smimectl_in(const std::filesystem::path& dir,
                                       const std::vector<std::string>& args,
                                       const std::map<std::string, std::string>& env) const {
  std::vector<std::string> argv = {SMIME_TEST_SMIMECTL, "--home", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> full_env = {{"SMIME_TOKEN_LABEL", kTestTokenLabel}};
  // The shared dev token is reached as the tests' module says; a home of the test's own makes
  // its own SoftHSM2 token (smimectl token init) and uses it directly.
  if (dir == home()) full_env["SMIME_PKCS11_MODULE"] = test_module_path();
  for (const auto& [k, v] : env) full_env[k] = v;
  return run_process(argv, full_env);
}

}  // namespace smime::test
