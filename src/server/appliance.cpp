#include "smime/server/appliance.hpp"

#include <spdlog/spdlog.h>

#include <csignal>

#include "smime/common/display_text.hpp"
#include "smime/common/error.hpp"
#include "smime/server/tls_identity.hpp"

namespace smime::server {

RequestHandler appliance_handler(const Router& router, const StaticSite& site,
                                 app::AccessUseCases& access) {
  RequestHandler handler;
  handler.admit = [&router, &access](Request& head) {
    RequestHandler::Decision decision;
    if (StaticSite::owns(head.target)) return decision;  // public files, answered whole
    authenticate(head, access);
    Admission admission = router.admit(head);
    decision.priority = admission.route != nullptr && admission.route->priority;
    decision.body_limit = router.body_limit(admission.route);
    if (!admission.refusal) return decision;
    add_api_security_headers(*admission.refusal);
    if (admission.refusal->status == 401 && head.credentials_given &&
        access.failure_to_record(head.peer)) {
      decision.after = [&access, peer = head.peer] {
        access.record_failure(peer, "Invalid or revoked API token");
      };
    }
    decision.refusal = std::move(admission.refusal);
    return decision;
  };
  handler.handle = [&router, &site](Request& request) {
    if (auto page = site.serve(request)) return std::move(*page);
    Response response = router.handle(request);  // the principal is the one admit() found
    add_api_security_headers(response);
    if (spdlog::should_log(spdlog::level::debug)) {  // the arguments cost even when not logged
      spdlog::debug("{} {} -> {} (actor {})", escape_for_display(request.method),
                    escape_for_display(request.target.substr(0, request.target.find('?'))),
                    response.status,
                    request.principal ? request.principal->actor : std::string("-"));
    }
    return response;
  };
  return handler;
}

Appliance::Appliance(AppConfig config, ServerSettings settings)
    : application_(std::move(config)),
      settings_(std::move(settings)),
      context_{application_.use_cases(), [this] { return metrics_.render(); },
               incoming_body_limit_for(settings_)} {
  metrics_.add_counter(
      "revocation_fetches_total",
      "CRL fetches from distribution points and OCSP queries, by kind and result.", [this] {
        const engine::RevocationCounts c = application_.engine().revocation_counts();
        return Metrics::Series{
            {"kind=\"crl\",result=\"ok\"", static_cast<double>(c.crl_ok)},
            {"kind=\"crl\",result=\"failed\"", static_cast<double>(c.crl_failed)},
            {"kind=\"ocsp\",result=\"ok\"", static_cast<double>(c.ocsp_ok)},
            {"kind=\"ocsp\",result=\"failed\"", static_cast<double>(c.ocsp_failed)}};
      });
}

Appliance::~Appliance() {
  refresher_.reset();
  // The server (and its worker threads) stop before the use cases they call go away.
  server_.reset();
}

void Appliance::start(bool handle_signals) {
  // A peer that vanished must not end the process: a client, and the network HSM's socket
  // inside its client library (p11-kit's RPC client writes to it without MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  const ServerSettings& settings = settings_;
  const TlsIdentity identity =
      load_or_create_tls_identity(settings, [this]() -> KeyStore& { return application_.keys(); });
  if (identity.created) {
    spdlog::info("created the TLS certificate {}", settings.tls_certificate.string());
  }
  // Recorded in the store, so that no administration (smimectl or the API) deletes it.
  if (!identity.token_key_id.empty()) {
    application_.store().reserve_key(identity.token_key_id, "smimed's TLS key");
  }
  metrics_.add_gauge("audit_queue_depth", "Audit entries waiting for their batch to be durable.",
                     [this] { return static_cast<double>(application_.audit().queue_depth()); });
  RequestObserver observe = [this, extra = observer_](const RequestRecord& record) {
    metrics_.observe(record);
    if (extra) extra(record);
  };
  router_ = std::make_unique<Router>(
      make_api_routes(context_), BodyLimit{settings.body_limit, "body_limit"}, std::move(observe));
  site_ = std::make_unique<StaticSite>(settings.web_root);
  if (settings.web_root.empty()) {
    spdlog::info("no web root: the admin UI is off");
  } else if (!std::filesystem::is_directory(settings.web_root)) {
    spdlog::warn("web root {} is not a directory: the admin UI is off", settings.web_root.string());
  }
  const RevocationFetchSettings& revocation = application_.config().revocation;
  if (revocation.fetch && !refresher_) {
    refresher_ = std::make_unique<CrlRefresher>(
        [this] {
          if (const std::size_t n = application_.engine().refresh_crls(); n > 0) {
            spdlog::info("refreshed {} CRL(s) before their nextUpdate", n);
          }
        },
        std::chrono::seconds(revocation.refresh_interval_s));
  }
  ServerOptions options = server_options(settings);
  options.handle_signals = handle_signals;
  // Under load the audit writer waits briefly for the entries of requests at work, so that
  // one WAL sync serves several answers.
  options.requests_at_work = std::make_shared<std::atomic<std::size_t>>(0);
  application_.audit().pace_commits_by(
      [at_work = options.requests_at_work] { return at_work->load(std::memory_order_relaxed); });
  server_ = std::make_unique<HttpsServer>(
      options, identity, appliance_handler(*router_, *site_, application_.use_cases().access));
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

}  // namespace smime::server
