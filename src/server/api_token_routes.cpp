// /api/v1/api-tokens: bearer tokens for the API (admin only). The secret is in the answer
// to the creation and nowhere else.
#include "json_views.hpp"
#include "routes.hpp"

namespace smime::server::routes {
namespace {

std::int64_t token_id(const Call& call) {
  const std::string& text = call.param("id");
  std::int64_t id = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || id > (INT64_MAX - 9) / 10) {
      throw Error(ErrorCode::not_found, "No API token with id " + text);
    }
    id = id * 10 + (c - '0');
  }
  return id;
}

Response list_tokens(const Services& s, const Call& /*call*/) {
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& t : s.api_tokens->list()) tokens.push_back(views::api_token(t));
  return json_response(200, {{"tokens", tokens}});
}

Response create_token(const Services& s, const Call& call) {
  return audited(s, call, "apitoken.create", [&](audit::AuditEvent& event) {
    const std::string name = json_string(call, "name");
    const std::string role_name = json_string(call, "role");
    const auto role = store::parse_api_role(role_name);
    if (!role) {
      throw Error(ErrorCode::invalid_input,
                  "Unknown role '" + role_name + "': use admin, operator or auditor");
    }
    auto created = s.api_tokens->create(name, *role);
    event.detail =
        "token " + std::to_string(created.token.id) + " '" + name + "' role " + role_name;
    nlohmann::json result = views::api_token(created.token);
    result["secret"] = std::string(created.secret.view());
    Response r = json_response(201, result);
    r.headers.add("Cache-Control", "no-store");
    return r;
  });
}

Response revoke_token(const Services& s, const Call& call) {
  return audited(s, call, "apitoken.revoke", [&](audit::AuditEvent& event) {
    const std::int64_t id = token_id(call);
    event.detail = "token " + std::to_string(id);
    if (!s.api_tokens->revoke(id)) {
      throw Error(ErrorCode::not_found, "No API token with id " + std::to_string(id));
    }
    return no_content();
  });
}

}  // namespace

void add_api_token_routes(std::vector<Route>& routes, const Services& s) {
  routes.push_back(
      {"GET", "/api/v1/api-tokens", Access::admin, {}, "listApiTokens", bind(s, list_tokens)});
  routes.push_back({"POST",
                    "/api/v1/api-tokens",
                    Access::admin,
                    {"application/json"},
                    "createApiToken",
                    bind(s, create_token)});
  routes.push_back({"DELETE",
                    "/api/v1/api-tokens/{id}",
                    Access::admin,
                    {},
                    "revokeApiToken",
                    bind(s, revoke_token)});
}

}  // namespace smime::server::routes
