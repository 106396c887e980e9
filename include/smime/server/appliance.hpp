// smimed put together: the application (store, API tokens, audit log, certificate service,
// engine, token: app::Application), the API route table over its use cases, metrics, the TLS
// identity and the HTTPS server. Used by the smimed binary and by in-process tests.
#pragma once

#include <memory>

#include "smime/app/application.hpp"
#include "smime/common/config.hpp"
#include "smime/server/api_routes.hpp"
#include "smime/server/crl_refresher.hpp"
#include "smime/server/https_server.hpp"
#include "smime/server/metrics.hpp"
#include "smime/server/router.hpp"
#include "smime/server/server_settings.hpp"
#include "smime/server/static_site.hpp"

namespace smime::server {

class Appliance {
 public:
  // Opens the database; nothing is listening yet.
  Appliance(AppConfig config, ServerSettings settings);
  ~Appliance();
  Appliance(const Appliance&) = delete;
  Appliance& operator=(const Appliance&) = delete;

  // An observer of every routed request besides the appliance's own metrics (before start()).
  void set_request_observer(RequestObserver observer) { observer_ = std::move(observer); }
  Metrics& metrics() { return metrics_; }
  app::Application& application() { return application_; }
  std::filesystem::path database_path() const { return application_.config().home / "smime.db"; }
  store::ApiTokenStore& api_tokens() { return application_.api_tokens(); }
  const ServerSettings& settings() const { return settings_; }

  // Loads or creates the TLS identity, builds the router and binds the listening socket; starts
  // the CRL refresher when [revocation] fetch is on.
  void start(bool handle_signals = true);
  unsigned short port() const;
  const Router& router() const { return *router_; }
  // Serves until stop() or SIGTERM/SIGINT; returns after in-flight requests are answered.
  void run();
  void stop();

 private:
  app::Application application_;
  ServerSettings settings_;
  ApiContext context_;
  RequestObserver observer_;
  Metrics metrics_;
  std::unique_ptr<StaticSite> site_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpsServer> server_;
  std::unique_ptr<CrlRefresher> refresher_;  // [revocation] fetch: started by start()
};

// Resolves the bearer token of the request into its principal (or marks the credentials as
// given but invalid). A database failure leaves the request unauthenticated.
void authenticate(Request& request, app::AccessUseCases& access);

// The two steps smimed's connections call (see RequestHandler): the head is authenticated
// and admitted by the router (the web UI's files need no token), the whole request routed.
RequestHandler appliance_handler(const Router& router, const StaticSite& site,
                                 app::AccessUseCases& access);

}  // namespace smime::server
