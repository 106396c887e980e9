#include "smime/server/appliance.hpp"

#include <spdlog/spdlog.h>

#include "smime/common/error.hpp"
#include "smime/pkcs11/token_report.hpp"
#include "smime/server/tls_identity.hpp"
#include "smime/store/sqlite_store.hpp"

namespace smime::server {

Appliance::Appliance(AppConfig config) : config_(std::move(config)) {
  export_softhsm_conf(config_);
  const auto database = config_.home / "smime.db";
  store_ = store::open_sqlite_store(database);
  api_tokens_ = store::open_sqlite_api_token_store(database);
  certificates_ = std::make_unique<service::CertificateService>(
      *store_, [this]() -> KeyStore& { return keys(); });
  audit_ = std::make_unique<audit::NullAuditSink>();
  services_.store = store_.get();
  services_.certificates = certificates_.get();
  services_.keys = [this]() -> KeyStore& { return keys(); };
  services_.token_status = [this] { return token_status(); };
  services_.health = [this] { return health(); };
  services_.api_tokens = api_tokens_.get();
  services_.audit = audit_.get();
}

Appliance::~Appliance() {
  // The server (and its worker threads) stop before the services they call go away.
  server_.reset();
}

void Appliance::set_audit_sink(std::unique_ptr<audit::AuditSink> sink) {
  audit_ = sink ? std::move(sink) : std::make_unique<audit::NullAuditSink>();
  services_.audit = audit_.get();
}

pkcs11::TokenConfig Appliance::token_config() const {
  pkcs11::TokenConfig tc;
  tc.module_path = config_.token.module;
  tc.label = config_.token.label;
  tc.serial = config_.token.serial;
  if (!config_.token.pin.empty()) tc.pin = pkcs11::PinSource::parse(config_.token.pin);
  tc.reinit_interval = std::chrono::milliseconds(config_.token.reinit_interval_ms);
  return tc;
}

pkcs11::Token& Appliance::token() {
  std::lock_guard lock(token_mutex_);
  if (!token_) token_ = pkcs11::Token::open(token_config());
  return *token_;
}

KeyStore& Appliance::keys() {
  token();
  std::lock_guard lock(token_mutex_);
  if (!keys_) keys_ = std::make_unique<pkcs11::TokenKeyStore>(token_);
  return *keys_;
}

void Appliance::start(bool handle_signals) {
  const TlsIdentity identity =
      load_or_create_tls_identity(config_.server, [this]() -> KeyStore& { return keys(); });
  if (identity.created) {
    spdlog::info("created the TLS certificate {}", config_.server.tls_certificate.string());
  }
  if (!identity.token_key_id.empty()) services_.reserved_key_ids = {identity.token_key_id};
  if (!services_.extensions.metrics) {
    services_.extensions.metrics = [this](const Call&) {
      Response r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = metrics_.render();
      return r;
    };
  }
  metrics_.add_gauge("audit_queue_depth", "Audit entries waiting for their batch to be durable.",
                     [this] { return static_cast<double>(services_.audit->queue_depth()); });
  RequestObserver observe = [this, extra = observer_](const RequestRecord& record) {
    metrics_.observe(record);
    if (extra) extra(record);
  };
  router_ = std::make_unique<Router>(make_api_routes(services_), config_.server.body_limit,
                                     std::move(observe));
  site_ = std::make_unique<StaticSite>(config_.server.web_root);
  if (config_.server.web_root.empty()) {
    spdlog::info("no web root: the admin UI is off");
  } else if (!std::filesystem::is_directory(config_.server.web_root)) {
    spdlog::warn("web root {} is not a directory: the admin UI is off",
                 config_.server.web_root.string());
  }
  ServerOptions options = server_options(config_.server);
  options.handle_signals = handle_signals;
  const Router* router = router_.get();
  const StaticSite* site = site_.get();
  store::ApiTokenStore* tokens = api_tokens_.get();
  server_ =
      std::make_unique<HttpsServer>(options, identity, [router, site, tokens](Request& request) {
        if (auto page = site->serve(request)) return std::move(*page);
        authenticate(request, *tokens);
        Response response = router->handle(request);
        add_api_security_headers(response);
        spdlog::debug("{} {} -> {} (actor {})", request.method,
                      request.target.substr(0, request.target.find('?')), response.status,
                      request.principal ? request.principal->actor : std::string("-"));
        return response;
      });
}

unsigned short Appliance::port() const {
  if (!server_) throw Error(ErrorCode::internal, "smimed is not started");
  return server_->port();
}

void Appliance::run() {
  if (!server_) throw Error(ErrorCode::internal, "smimed is not started");
  server_->run();
}

void Appliance::stop() {
  if (server_) server_->stop();
}

nlohmann::json Appliance::token_status() {
  return pkcs11::to_json(pkcs11::report_token(
      token(), config_.token.module,
      [this] {
        std::size_t private_keys = 0;
        for (const auto& k : keys().list()) private_keys += k.has_private ? 1 : 0;
        return private_keys;
      },
      /*probe=*/false));
}

std::vector<HealthCheck> Appliance::health() {
  HealthCheck token_check{"token", false, ""};
  try {
    keys();  // opened and logged in
    token().run([](pkcs11::Session& s) {
      CK_SESSION_INFO info{};
      const CK_RV rv = s.fn()->C_GetSessionInfo(s.handle(), &info);
      if (rv != CKR_OK) throw Error(ErrorCode::token_failure, "C_GetSessionInfo failed", rv);
    });
    token_check.ok = true;
    token_check.detail = "token '" + token().label() + "' reachable, logged in";
  } catch (const Error& e) {
    token_check.detail = e.what();
  }
  HealthCheck database{"database", false, ""};
  try {
    // An empty write transaction: takes the write lock without changing anything.
    store_->in_transaction([] {});
    database.ok = true;
    database.detail = "writable, schema version " + std::to_string(store_->schema_version());
  } catch (const Error& e) {
    database.detail = e.what();
  }
  return {token_check, database};
}

}  // namespace smime::server
