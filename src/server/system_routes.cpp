// GET /healthz (no token needed), GET /api/v1/openapi.json and GET /metrics.
#include "routes.hpp"
#include "smime/app/json_views.hpp"

namespace smime::server::routes {
namespace {

// A stranger learns ok or unavailable (a balancer needs no more); a caller with a token also
// learns what is wrong.
Response healthz(const ApiContext& c, const Call& call) {
  const app::Health health = c.use_cases.health.check();
  nlohmann::json body = app::to_json(health, /*details=*/call.principal != nullptr);
  if (health.ok) return json_response(200, body);
  std::string failures;
  if (call.principal != nullptr) {
    for (const auto& check : health.checks) {
      if (!check.ok) failures += (failures.empty() ? "" : "; ") + check.name + ": " + check.detail;
    }
  }
  body["error"] = {{"code", "unhealthy"},
                   {"message", failures.empty() ? "The appliance is unavailable" : failures}};
  return json_response(503, body);
}

Response openapi(const ApiContext& /*c*/, const Call& /*call*/) {
  Response r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = openapi_document();
  return r;
}

Response metrics(const ApiContext& c, const Call& /*call*/) {
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = c.metrics ? c.metrics() : std::string();
  return r;
}

}  // namespace

void add_system_routes(std::vector<Route>& routes, const ApiContext& c) {
  routes.push_back({"GET", "/healthz", Access::public_, {}, "health", bind(c, healthz)});
  routes.back().priority = true;
  routes.push_back(
      {"GET", "/api/v1/openapi.json", Access::any_role, {}, "openapi", bind(c, openapi)});
  routes.push_back({"GET", "/metrics", Access::logs, {}, "metrics", bind(c, metrics)});
}

}  // namespace smime::server::routes

namespace smime::server {

std::vector<Route> make_api_routes(const ApiContext& context) {
  std::vector<Route> routes;
  routes::add_system_routes(routes, context);
  routes::add_certificate_routes(routes, context);
  routes::add_key_routes(routes, context);
  routes::add_admin_routes(routes, context);
  routes::add_api_token_routes(routes, context);
  routes::add_message_routes(routes, context);
  return routes;
}

}  // namespace smime::server
