#include "support/softhsm_fixture.hpp"

#include <stdlib.h>

#include <mutex>

#include "smime/provisioning/dev_token.hpp"

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

const std::filesystem::path& softhsm_home() {
  static TempDir* dir = nullptr;  // lives until exit; removed by the atexit handler below
  static std::once_flag once;
  std::call_once(once, [] {
    dir = new TempDir();  // NOLINT(cppcoreguidelines-owning-memory)
    provisioning::init_dev_token(dir->path() / "home", kTestTokenLabel, SMIME_TEST_SOFTHSM_MODULE);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir->path(), ec);
    });
  });
  static const std::filesystem::path home = dir->path() / "home";
  return home;
}

pkcs11::TokenConfig SoftHsmTest::token_config() const {
  pkcs11::TokenConfig config;
  config.module_path = SMIME_TEST_SOFTHSM_MODULE;
  config.label = kTestTokenLabel;
  config.pin = pkcs11::PinSource::from_file((home() / "user.pin").string());
  return config;
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
  for (const auto& [k, v] : env) full_env[k] = v;
  return run_process(argv, full_env);
}

}  // namespace smime::test
