#include "app_context.hpp"

#include "smime/store/sqlite_store.hpp"

namespace smimectl {

AppContext::AppContext(smime::AppConfig config, bool json)
    : config_(std::move(config)), json_(json) {}

smime::pkcs11::TokenConfig AppContext::token_config() const {
  smime::pkcs11::TokenConfig tc;
  tc.module_path = config_.token.module;
  tc.label = config_.token.label;
  tc.serial = config_.token.serial;
  if (!config_.token.pin.empty()) tc.pin = smime::pkcs11::PinSource::parse(config_.token.pin);
  tc.reinit_interval = std::chrono::milliseconds(config_.token.reinit_interval_ms);
  return tc;
}

smime::pkcs11::Token& AppContext::token() {
  if (!token_) {
    smime::export_softhsm_conf(config_);
    token_ = smime::pkcs11::Token::open(token_config());
  }
  return *token_;
}

smime::pkcs11::TokenKeyStore& AppContext::keys() {
  if (!keys_) {
    token();
    keys_ = std::make_unique<smime::pkcs11::TokenKeyStore>(token_);
  }
  return *keys_;
}

smime::store::Store& AppContext::store() {
  if (!store_) store_ = smime::store::open_sqlite_store(config_.home / "smime.db");
  return *store_;
}

smime::service::CertificateService& AppContext::certificates() {
  if (!certificates_) {
    certificates_ = std::make_unique<smime::service::CertificateService>(
        store(), [this]() -> smime::KeyStore& { return keys(); });
  }
  return *certificates_;
}

smime::engine::Engine& AppContext::engine() {
  if (!engine_) {
    engine_ = std::make_unique<smime::engine::Engine>(
        store(), certificates(), [this]() -> smime::KeyStore& { return keys(); });
  }
  return *engine_;
}

smime::audit::AuditLog& AppContext::audit() {
  if (!audit_) audit_ = std::make_unique<smime::audit::AuditLog>(config_.home / "smime.db");
  return *audit_;
}

}  // namespace smimectl
