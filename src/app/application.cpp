#include "smime/app/application.hpp"

#include "smime/app/http_client.hpp"
#include "smime/app/revocation_events.hpp"
#include "smime/common/error.hpp"
#include "smime/pkcs11/module.hpp"
#include "smime/pkcs11/token_report.hpp"
#include "smime/store/postgres_store.hpp"
#include "smime/store/sqlite_store.hpp"

namespace smime::app {

pkcs11::TokenConfig token_config(const AppConfig& config) {
  pkcs11::TokenConfig tc;
  tc.module_path = config.token.module;
  tc.label = config.token.label;
  tc.serial = config.token.serial;
  if (!config.token.pin.empty()) tc.pin = pkcs11::PinSource::parse(config.token.pin);
  tc.reinit_interval = std::chrono::milliseconds(config.token.reinit_interval_ms);
  tc.max_sessions = static_cast<std::size_t>(config.token.max_sessions);
  tc.session_wait = std::chrono::milliseconds(config.token.session_wait_ms);
  tc.recycle_after_derivations = static_cast<std::size_t>(config.token.recycle_after_derivations);
  return tc;
}

engine::RevocationSettings revocation_settings(const AppConfig& config) {
  const RevocationFetchSettings& r = config.revocation;
  engine::RevocationSettings settings;
  settings.fetch_crls = r.fetch;
  settings.ocsp = r.ocsp;
  settings.refresh_margin = std::chrono::seconds(r.refresh_margin_s);
  settings.failure_backoff = std::chrono::seconds(r.failure_backoff_s);
  settings.max_backoff = std::chrono::seconds(r.max_backoff_s);
  settings.limits.timeout = std::chrono::milliseconds(r.timeout_ms);
  settings.limits.max_body = static_cast<std::size_t>(r.max_crl_bytes);
  return settings;
}

Application::Application(AppConfig config) : config_(std::move(config)) {
  export_softhsm_conf(config_);
  if (config_.store.postgres()) {
    // Shared by the nodes: certificates, groups, CRLs, API tokens and one audit chain.
    auto database = store::open_postgres_database(
        config_.store.url, static_cast<std::size_t>(config_.store.pool_size));
    store_ = store::open_postgres_store(database);
    api_tokens_ = store::open_postgres_api_token_store(database);
    audit_ = std::make_unique<audit::AuditLog>(database);
  } else {
    auto database = store::open_sqlite_database(config_.home / "smime.db");
    store_ = store::open_sqlite_store(database);
    api_tokens_ = store::open_sqlite_api_token_store(database);
    audit_ = std::make_unique<audit::AuditLog>(database);
  }
  const auto keys = [this]() -> KeyStore& { return this->keys(); };
  certificates_ = std::make_unique<service::CertificateService>(*store_, keys);
  engine::Policy policy;
  policy.verification.reject_sha1 = config_.verification.reject_sha1;
  policy.verification.revocation_hard = config_.verification.revocation_hard;
  policy.verification.leaf_at_signing_time = config_.verification.leaf_at_signing_time;
  // "auto" parses as neither: the recipients' capabilities decide.
  policy.cipher = engine::parse_content_cipher(config_.encryption.cipher);
  policy.transport = engine::parse_key_transport(config_.encryption.key_transport);
  certificates_->set_rule_policy({config_.certificates.legacy});
  engine_ = std::make_unique<engine::Engine>(*store_, *certificates_, keys, policy);
  engine_->enable_online_revocation(make_http_client(), revocation_settings(config_),
                                    audit_revocation_events(*audit_));
  use_cases_ = std::make_unique<UseCases>(
      Dependencies{*store_, *api_tokens_, *certificates_, *engine_, *audit_, *audit_, keys,
                   [this](bool probe) { return token_report(probe); }, [this] { ping_token(); }});
  use_cases_->messages.set_harvest_certificates(config_.certificates.harvest);
}

Application::~Application() = default;

pkcs11::Token& Application::token() {
  std::lock_guard lock(token_mutex_);
  if (!token_) token_ = pkcs11::Token::open(token_config(config_));
  return *token_;
}

KeyStore& Application::keys() {
  token();
  std::lock_guard lock(token_mutex_);
  if (!keys_) keys_ = std::make_unique<pkcs11::TokenKeyStore>(token_);
  return *keys_;
}

pkcs11::TokenReport Application::token_report(bool probe) {
  pkcs11::TokenReport report = pkcs11::report_token(
      token(), config_.token.module,
      [this] {
        std::size_t private_keys = 0;
        for (const auto& k : keys().list()) private_keys += k.has_private ? 1 : 0;
        return private_keys;
      },
      probe);
  if (!config_.token.pin.empty()) {
    report.pin_source = pkcs11::PinSource::parse(config_.token.pin).describe();
  }
  return report;
}

void Application::ping_token() {
  keys();  // opened and logged in
  // What a signature meets: a session of the pool, and the login (recovered here if lost).
  token().run([](pkcs11::Session& s) {
    CK_SESSION_INFO info{};
    pkcs11::check_rv(s.fn()->C_GetSessionInfo(s.handle(), &info), "C_GetSessionInfo");
    if (info.state != CKS_RO_USER_FUNCTIONS && info.state != CKS_RW_USER_FUNCTIONS) {
      throw Error(ErrorCode::token_failure, "The token's login was lost", CKR_USER_NOT_LOGGED_IN);
    }
  });
}

}  // namespace smime::app
