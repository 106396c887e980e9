// What every smimectl command needs: the resolved configuration, output mode, and the token
// and key store opened on first use.
#pragma once

#include <memory>

#include "smime/audit/audit_log.hpp"
#include "smime/common/config.hpp"
#include "smime/engine/engine.hpp"
#include "smime/pkcs11/token.hpp"
#include "smime/pkcs11/token_key_store.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/store.hpp"

namespace smimectl {

class AppContext {
 public:
  AppContext(smime::AppConfig config, bool json);

  const smime::AppConfig& config() const noexcept { return config_; }
  bool json() const noexcept { return json_; }

  smime::pkcs11::TokenConfig token_config() const;
  // Opened (not logged in) on first call.
  smime::pkcs11::Token& token();
  // Logged in, provider active.
  smime::pkcs11::TokenKeyStore& keys();
  // <home>/smime.db, created and migrated on first use.
  smime::store::Store& store();
  // Store plus token (the token is opened and logged in only when a key is touched).
  smime::service::CertificateService& certificates();
  // The S/MIME engine on the store and token above.
  smime::engine::Engine& engine();
  // The audit log in <home>/smime.db (its own connection; entries are durable on return).
  smime::audit::AuditLog& audit();

 private:
  smime::AppConfig config_;
  bool json_;
  std::shared_ptr<smime::pkcs11::Token> token_;
  std::unique_ptr<smime::pkcs11::TokenKeyStore> keys_;
  std::unique_ptr<smime::store::Store> store_;
  std::unique_ptr<smime::service::CertificateService> certificates_;
  std::unique_ptr<smime::engine::Engine> engine_;
  std::unique_ptr<smime::audit::AuditLog> audit_;
};

}  // namespace smimectl
