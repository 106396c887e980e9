// What smimed's API routes work on: the existing services (store, certificate service, token
// key store, API tokens), the audit sink, and the handlers other modules plug in (messages,
// logs, metrics). make_api_routes() builds the complete route table from them; every route
// of the table is in the OpenAPI document (src/server/openapi.json), and a test checks that.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "smime/audit/audit_sink.hpp"
#include "smime/server/router.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/store.hpp"
#include "smime/token/key_store.hpp"

namespace smime::server {

struct HealthCheck {
  std::string name;  // "token", "database"
  bool ok = false;
  std::string detail;
};

// The routes other modules implement. A route whose handler is empty answers 501
// not_implemented; its place in the table, access rule and OpenAPI entry already exist.
struct ExtensionHandlers {
  Handler messages_outgoing;   // POST /api/v1/messages/outgoing   (message/rfc822)
  Handler messages_incoming;   // POST /api/v1/messages/incoming   (message/rfc822)
  Handler messages_preflight;  // POST /api/v1/messages/preflight  (application/json)
  Handler logs;                // GET  /api/v1/logs
  Handler metrics;             // GET  /metrics (Prometheus text)
};

struct Services {
  store::Store* store = nullptr;
  service::CertificateService* certificates = nullptr;
  // The logged-in key store (opening the token on first use).
  std::function<KeyStore&()> keys;
  // GET /api/v1/token: module, token and login state.
  std::function<nlohmann::json()> token_status;
  // GET /healthz: cheap checks of the token and the database.
  std::function<std::vector<HealthCheck>()> health;
  store::ApiTokenStore* api_tokens = nullptr;
  // Never null in a running server (NullAuditSink until the audit log is wired in).
  audit::AuditSink* audit = nullptr;
  // Token keys the appliance itself uses (smimed's TLS key): the API refuses to delete them.
  std::vector<std::string> reserved_key_ids;
  ExtensionHandlers extensions;
};

// The whole API route table.
std::vector<Route> make_api_routes(const Services& services);

// The OpenAPI document served at /api/v1/openapi.json (embedded at build time).
const std::string& openapi_document();

}  // namespace smime::server
