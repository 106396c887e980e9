// /api/v1/groups, /api/v1/crls, /api/v1/api-tokens and /api/v1/token.
#include "routes.hpp"
#include "smime/app/json_views.hpp"

namespace smime::server::routes {
namespace {

Response list_groups(const ApiContext& c, const Call& /*call*/) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : c.use_cases.groups.list()) groups.push_back(app::to_json(g));
  return json_response(200, {{"groups", groups}});
}

Response show_group(const ApiContext& c, const Call& call) {
  return json_response(200, app::to_json(c.use_cases.groups.show(call.param("name"))));
}

// A policy field of a group: absent leaves it as it is, null returns to the appliance's
// setting; otherwise a value for `parse` (Error(invalid_input) naming the field).
template <class Parse>
std::optional<std::optional<bool>> policy_field(const Call& call, const char* field, Parse parse) {
  if (!call.json.is_object()) return std::nullopt;
  auto it = call.json.find(field);
  if (it == call.json.end()) return std::nullopt;
  using Choice = std::optional<std::optional<bool>>;
  if (it->is_null()) return Choice(std::in_place);
  return Choice(std::in_place, parse(*it));
}

bool revocation_value(const nlohmann::json& value) {
  const auto hard = value.is_string()
                        ? store::parse_revocation_policy(value.get_ref<const std::string&>())
                        : std::nullopt;
  if (!hard)
    throw Error(ErrorCode::invalid_input, "'revocation' must be \"soft\", \"hard\" or null");
  return *hard;
}

bool sha1_value(const nlohmann::json& value) {
  if (!value.is_boolean()) {
    throw Error(ErrorCode::invalid_input, "'reject_sha1' must be true, false or null");
  }
  return value.get<bool>();
}

Response put_group(const ApiContext& c, const Call& call) {
  app::GroupChange change;
  change.name = call.param("name");
  change.email = json_string(call, "email");
  const std::string behaviour = json_optional_string(call, "default").value_or("sign-encrypt");
  const auto parsed = store::parse_default_behaviour(behaviour);
  if (!parsed) {
    throw Error(ErrorCode::invalid_input,
                "Unknown default '" + behaviour + "': use sign-encrypt, sign, encrypt or none");
  }
  change.behaviour = *parsed;
  change.revocation_hard = policy_field(call, "revocation", revocation_value);
  change.reject_sha1 = policy_field(call, "reject_sha1", sha1_value);
  const app::GroupSet set = c.use_cases.groups.set(caller_of(call), change);
  return json_response(set.created ? 201 : 200, app::to_json(set.group));
}

Response delete_group(const ApiContext& c, const Call& call) {
  c.use_cases.groups.remove(caller_of(call), call.param("name"));
  return no_content();
}

Response import_crl(const ApiContext& c, const Call& call) {
  return json_response(
      201, app::to_json(c.use_cases.crls.import_crl(caller_of(call), body_bytes(call))));
}

Response list_crls(const ApiContext& c, const Call& /*call*/) {
  nlohmann::json crls = nlohmann::json::array();
  for (const auto& crl : c.use_cases.crls.list()) crls.push_back(app::to_json(crl));
  return json_response(200, {{"crls", crls}});
}

Response token_status(const ApiContext& c, const Call& /*call*/) {
  return json_response(200, pkcs11::to_json(c.use_cases.token.status(/*probe=*/false)));
}

std::int64_t token_id(const Call& call) {
  const std::string& text = call.param("id");
  std::int64_t id = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9' || id > (INT64_MAX - 9) / 10) {
      throw Error(ErrorCode::not_found, "No API token with id " + text);
    }
    id = id * 10 + (ch - '0');
  }
  return id;
}

Response list_tokens(const ApiContext& c, const Call& /*call*/) {
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& t : c.use_cases.api_tokens.list()) tokens.push_back(app::to_json(t));
  return json_response(200, {{"tokens", tokens}});
}

Response create_token(const ApiContext& c, const Call& call) {
  const std::string name = json_string(call, "name");
  const std::string role_name = json_string(call, "role");
  const auto role = store::parse_api_role(role_name);
  if (!role) {
    throw Error(ErrorCode::invalid_input,
                "Unknown role '" + role_name + "': use admin, operator or auditor");
  }
  Response r =
      json_response(201, app::to_json(c.use_cases.api_tokens.create(caller_of(call), name, *role)));
  r.headers.add("Cache-Control", "no-store");
  return r;
}

Response revoke_token(const ApiContext& c, const Call& call) {
  c.use_cases.api_tokens.revoke(caller_of(call), token_id(call));
  return no_content();
}

}  // namespace

void add_admin_routes(std::vector<Route>& routes, const ApiContext& c) {
  routes.push_back(
      {"GET", "/api/v1/groups", Access::admin, {}, "listGroups", bind(c, list_groups)});
  routes.push_back(
      {"GET", "/api/v1/groups/{name}", Access::admin, {}, "getGroup", bind(c, show_group)});
  routes.push_back({"PUT",
                    "/api/v1/groups/{name}",
                    Access::admin,
                    {"application/json"},
                    "putGroup",
                    bind(c, put_group)});
  routes.push_back(
      {"DELETE", "/api/v1/groups/{name}", Access::admin, {}, "deleteGroup", bind(c, delete_group)});
  routes.push_back(
      {"POST", "/api/v1/crls", Access::admin, crl_media_types(), "importCrl", bind(c, import_crl)});
  routes.push_back({"GET", "/api/v1/crls", Access::admin, {}, "listCrls", bind(c, list_crls)});
  routes.push_back(
      {"GET", "/api/v1/token", Access::admin, {}, "getTokenStatus", bind(c, token_status)});
}

void add_api_token_routes(std::vector<Route>& routes, const ApiContext& c) {
  routes.push_back(
      {"GET", "/api/v1/api-tokens", Access::admin, {}, "listApiTokens", bind(c, list_tokens)});
  routes.push_back({"POST",
                    "/api/v1/api-tokens",
                    Access::admin,
                    {"application/json"},
                    "createApiToken",
                    bind(c, create_token)});
  routes.push_back({"DELETE",
                    "/api/v1/api-tokens/{id}",
                    Access::admin,
                    {},
                    "revokeApiToken",
                    bind(c, revoke_token)});
}

}  // namespace smime::server::routes
