// /api/v1/keys: keys in the token; generation inside the token with a CSR (or a self-signed
// certificate) signed by the token key, as `smimectl key generate` does.
#include "routes.hpp"
#include "smime/app/json_views.hpp"
#include "smime/service/json_views.hpp"

namespace smime::server::routes {
namespace {

Response list_keys(const ApiContext& c, const Call& /*call*/) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : c.use_cases.keys.list()) keys.push_back(service::to_json(k));
  return json_response(200, {{"keys", keys}});
}

Response generate_key(const ApiContext& c, const Call& call) {
  const std::string algorithm_name = json_string(call, "algorithm");
  const auto algorithm = parse_key_algorithm(algorithm_name);
  if (!algorithm) {
    throw Error(ErrorCode::invalid_input,
                "Unknown algorithm '" + algorithm_name +
                    "': use rsa-2048, rsa-3072, rsa-4096, ec-p256 or ec-p384");
  }
  app::KeyGeneration request;
  request.algorithm = *algorithm;
  request.label = json_string(call, "label");
  request.subject = json_optional_string(call, "subject").value_or("");
  request.emails = json_string_list(call, "emails");
  request.self_signed = json_optional_bool(call, "self_signed").value_or(false);
  request.csr = json_optional_bool(call, "csr").value_or(!request.emails.empty());
  request.days = static_cast<int>(json_optional_integer(call, "days", 1, 3650).value_or(365));
  return json_response(201, app::to_json(c.use_cases.keys.generate(caller_of(call), request)));
}

Response delete_key(const ApiContext& c, const Call& call) {
  c.use_cases.keys.remove(caller_of(call), call.param("id"));
  return no_content();
}

}  // namespace

void add_key_routes(std::vector<Route>& routes, const ApiContext& c) {
  routes.push_back({"GET", "/api/v1/keys", Access::admin, {}, "listKeys", bind(c, list_keys)});
  routes.push_back({"POST",
                    "/api/v1/keys",
                    Access::admin,
                    {"application/json"},
                    "generateKey",
                    bind(c, generate_key)});
  routes.push_back(
      {"DELETE", "/api/v1/keys/{id}", Access::admin, {}, "deleteKey", bind(c, delete_key)});
}

}  // namespace smime::server::routes
