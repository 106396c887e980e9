// /api/v1/groups, /api/v1/crls and /api/v1/token.
#include "json_views.hpp"
#include "routes.hpp"

namespace smime::server::routes {
namespace {

Response list_groups(const Services& s, const Call& /*call*/) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : s.store->list_groups()) groups.push_back(views::group(g));
  return json_response(200, {{"groups", groups}});
}

Response show_group(const Services& s, const Call& call) {
  auto group = s.store->group(call.param("name"));
  if (!group) throw Error(ErrorCode::not_found, "No group named " + call.param("name"));
  return json_response(200, views::group(*group));
}

Response put_group(const Services& s, const Call& call) {
  return audited(s, call, "group.set", [&](audit::AuditEvent& event) {
    const std::string& name = call.param("name");
    const std::string email = json_string(call, "email");
    const std::string behaviour = json_optional_string(call, "default").value_or("sign-encrypt");
    const auto parsed = store::parse_default_behaviour(behaviour);
    if (!parsed) {
      throw Error(ErrorCode::invalid_input,
                  "Unknown default '" + behaviour + "': use sign-encrypt, sign, encrypt or none");
    }
    if (email.find('@') == std::string::npos) {
      throw Error(ErrorCode::invalid_input, "'" + email + "' is not an email address");
    }
    event.addresses = {email};
    event.detail = "group " + name + ", default " + behaviour;
    const bool existed = s.store->group(name).has_value();
    s.store->upsert_group({name, email, *parsed, 0, 0});
    auto stored = s.store->group(name);
    if (!stored) throw Error(ErrorCode::internal, "The group was not stored");
    return json_response(existed ? 200 : 201, views::group(*stored));
  });
}

Response delete_group(const Services& s, const Call& call) {
  return audited(s, call, "group.delete", [&](audit::AuditEvent& event) {
    const std::string& name = call.param("name");
    event.detail = "group " + name;
    if (!s.store->delete_group(name)) throw Error(ErrorCode::not_found, "No group named " + name);
    return no_content();
  });
}

Response import_crl(const Services& s, const Call& call) {
  return audited(s, call, "crl.import", [&](audit::AuditEvent& event) {
    const auto record = s.certificates->import_crl(body_bytes(call));
    event.fingerprints.push_back(record.issuer_sha256);
    event.detail = "CRL of " + record.issuer + " number " + record.crl_number;
    return json_response(201, views::crl(record));
  });
}

Response list_crls(const Services& s, const Call& /*call*/) {
  nlohmann::json crls = nlohmann::json::array();
  for (const auto& c : s.store->list_crls()) crls.push_back(views::crl(c));
  return json_response(200, {{"crls", crls}});
}

Response token_status(const Services& s, const Call& /*call*/) {
  return json_response(200, s.token_status());
}

}  // namespace

void add_admin_routes(std::vector<Route>& routes, const Services& s) {
  routes.push_back(
      {"GET", "/api/v1/groups", Access::admin, {}, "listGroups", bind(s, list_groups)});
  routes.push_back(
      {"GET", "/api/v1/groups/{name}", Access::admin, {}, "getGroup", bind(s, show_group)});
  routes.push_back({"PUT",
                    "/api/v1/groups/{name}",
                    Access::admin,
                    {"application/json"},
                    "putGroup",
                    bind(s, put_group)});
  routes.push_back(
      {"DELETE", "/api/v1/groups/{name}", Access::admin, {}, "deleteGroup", bind(s, delete_group)});
  routes.push_back(
      {"POST", "/api/v1/crls", Access::admin, crl_media_types(), "importCrl", bind(s, import_crl)});
  routes.push_back({"GET", "/api/v1/crls", Access::admin, {}, "listCrls", bind(s, list_crls)});
  routes.push_back(
      {"GET", "/api/v1/token", Access::admin, {}, "getTokenStatus", bind(s, token_status)});
}

}  // namespace smime::server::routes
