// smimed put together: configuration -> SQLite store, token (opened on first use, or at start
// when the TLS key lives in it), certificate service, API tokens, audit sink, route table,
// TLS identity and the HTTPS server. Used by the smimed binary and by in-process tests.
#pragma once

#include <memory>
#include <mutex>

#include "smime/audit/audit_sink.hpp"
#include "smime/common/config.hpp"
#include "smime/pkcs11/token.hpp"
#include "smime/pkcs11/token_key_store.hpp"
#include "smime/server/https_server.hpp"
#include "smime/server/metrics.hpp"
#include "smime/server/router.hpp"
#include "smime/server/services.hpp"
#include "smime/server/static_site.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/store.hpp"

namespace smime::server {

class Appliance {
 public:
  // Opens the store and the API token store; nothing is listening yet.
  explicit Appliance(AppConfig config);
  ~Appliance();
  Appliance(const Appliance&) = delete;
  Appliance& operator=(const Appliance&) = delete;

  // Extension points, to be set before start(): message routes, logs, audit sink, and an
  // observer of every routed request (besides the appliance's own metrics).
  ExtensionHandlers& extensions() { return services_.extensions; }
  void set_audit_sink(std::unique_ptr<audit::AuditSink> sink);
  void set_request_observer(RequestObserver observer) { observer_ = std::move(observer); }
  Metrics& metrics() { return metrics_; }
  Services& services() { return services_; }
  std::filesystem::path database_path() const { return config_.home / "smime.db"; }
  store::ApiTokenStore& api_tokens() { return *api_tokens_; }

  // Loads or creates the TLS identity, builds the router and binds the listening socket.
  void start(bool handle_signals = true);
  unsigned short port() const;
  const Router& router() const { return *router_; }
  // Serves until stop() or SIGTERM/SIGINT; returns after in-flight requests are answered.
  void run();
  void stop();

  // The logged-in key store (opened on first use; a failure is retried on the next call).
  KeyStore& keys();
  pkcs11::Token& token();

 private:
  nlohmann::json token_status();
  std::vector<HealthCheck> health();
  pkcs11::TokenConfig token_config() const;

  AppConfig config_;
  std::mutex token_mutex_;
  std::shared_ptr<pkcs11::Token> token_;
  std::unique_ptr<pkcs11::TokenKeyStore> keys_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<service::CertificateService> certificates_;
  std::unique_ptr<store::ApiTokenStore> api_tokens_;
  std::unique_ptr<audit::AuditSink> audit_;
  Services services_;
  RequestObserver observer_;
  Metrics metrics_;
  std::unique_ptr<StaticSite> site_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpsServer> server_;
};

// Resolves the bearer token of the request into its principal (or marks the credentials as
// given but invalid). A database failure leaves the request unauthenticated.
void authenticate(Request& request, store::ApiTokenStore& tokens);

}  // namespace smime::server
