// GET /healthz (no token), GET /api/v1/openapi.json, and the routes other modules implement
// (messages, logs, metrics): present in the table and the OpenAPI document from the start,
// answering 501 until their handler is plugged into Services::extensions.
#include "routes.hpp"

namespace smime::server::routes {
namespace {

Response healthz(const Services& s, const Call& /*call*/) {
  const auto checks = s.health ? s.health() : std::vector<HealthCheck>{};
  nlohmann::json by_name = nlohmann::json::object();
  std::string failures;
  for (const auto& check : checks) {
    by_name[check.name] = {{"ok", check.ok}, {"detail", check.detail}};
    if (!check.ok) failures += (failures.empty() ? "" : "; ") + check.name + ": " + check.detail;
  }
  if (failures.empty()) return json_response(200, {{"status", "ok"}, {"checks", by_name}});
  return json_response(503, {{"status", "unavailable"},
                             {"checks", by_name},
                             {"error", {{"code", "unhealthy"}, {"message", failures}}}});
}

Response openapi(const Services& /*s*/, const Call& /*call*/) {
  Response r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = openapi_document();
  return r;
}

Handler extension(const Handler& handler, std::string what) {
  if (handler) return handler;
  return [what = std::move(what)](const Call& /*call*/) {
    return error_response(501, "not_implemented", what + " is not available in this build");
  };
}

}  // namespace

void add_system_routes(std::vector<Route>& routes, const Services& s) {
  routes.push_back({"GET", "/healthz", Access::public_, {}, "health", bind(s, healthz)});
  routes.push_back(
      {"GET", "/api/v1/openapi.json", Access::any_role, {}, "openapi", bind(s, openapi)});
}

void add_extension_routes(std::vector<Route>& routes, const Services& s) {
  const ExtensionHandlers& x = s.extensions;
  routes.push_back({"POST",
                    "/api/v1/messages/outgoing",
                    Access::messages,
                    {"message/rfc822"},
                    "processOutgoing",
                    extension(x.messages_outgoing, "Outgoing messages")});
  routes.push_back({"POST",
                    "/api/v1/messages/incoming",
                    Access::messages,
                    {"message/rfc822"},
                    "processIncoming",
                    extension(x.messages_incoming, "Incoming messages")});
  routes.push_back({"POST",
                    "/api/v1/messages/preflight",
                    Access::messages,
                    {"application/json"},
                    "preflight",
                    extension(x.messages_preflight, "Preflight")});
  routes.push_back(
      {"GET", "/api/v1/logs", Access::logs, {}, "listLogs", extension(x.logs, "The audit log")});
  routes.push_back(
      {"GET", "/metrics", Access::logs, {}, "metrics", extension(x.metrics, "Metrics")});
}

std::vector<Route> make_api_routes(const Services& services) {
  std::vector<Route> routes;
  add_system_routes(routes, services);
  add_certificate_routes(routes, services);
  add_key_routes(routes, services);
  add_admin_routes(routes, services);
  add_api_token_routes(routes, services);
  add_extension_routes(routes, services);
  return routes;
}

}  // namespace smime::server::routes

namespace smime::server {

std::vector<Route> make_api_routes(const Services& services) {
  return routes::make_api_routes(services);
}

}  // namespace smime::server
