// The composition root shared by smimectl and smimed: from the configuration, the appliance's
// database (store, API tokens and audit log on one file), the certificate service, the S/MIME
// engine and the token (opened on first use), put together as the use cases' dependencies.
#pragma once

#include <memory>
#include <mutex>

#include "smime/app/use_cases.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/common/config.hpp"
#include "smime/pkcs11/token.hpp"
#include "smime/pkcs11/token_key_store.hpp"

namespace smime::app {

// [revocation] of a configuration as the engine takes it.
engine::RevocationSettings revocation_settings(const AppConfig& config);

// The token settings of a configuration as the token layer takes them.
pkcs11::TokenConfig token_config(const AppConfig& config);

class Application {
 public:
  // Opens (creating and migrating) <home>/smime.db; nothing touches the token yet.
  explicit Application(AppConfig config);
  ~Application();
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  UseCases& use_cases() noexcept { return *use_cases_; }
  const AppConfig& config() const noexcept { return config_; }

  // The token, opened (not logged in) on first use; the key store, logged in. A failure is
  // retried on the next call. Thread-safe.
  pkcs11::Token& token();
  KeyStore& keys();

  store::Store& store() noexcept { return *store_; }
  store::ApiTokenStore& api_tokens() noexcept { return *api_tokens_; }
  audit::AuditLog& audit() noexcept { return *audit_; }
  service::CertificateService& certificates() noexcept { return *certificates_; }
  engine::Engine& engine() noexcept { return *engine_; }

 private:
  pkcs11::TokenReport token_report(bool probe);
  void ping_token();

  AppConfig config_;
  std::mutex token_mutex_;
  std::shared_ptr<pkcs11::Token> token_;
  std::unique_ptr<pkcs11::TokenKeyStore> keys_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::ApiTokenStore> api_tokens_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<service::CertificateService> certificates_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<UseCases> use_cases_;
};

}  // namespace smime::app
