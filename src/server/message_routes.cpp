// The helpdesk's routes (SPEC §8, §13): outgoing, incoming and preflight, and the audit log.
#include <openssl/evp.h>

#include "routes.hpp"
#include "smime/app/json_views.hpp"
#include "smime/engine/result_json.hpp"

namespace smime::server::routes {
namespace {

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Response outgoing(const ApiContext& c, const Call& call) {
  engine::OutgoingRequest request;
  request.message = call.request.body;
  request.group = call.query("group");
  request.sign = call.query_flag("sign");
  request.encrypt = call.query_flag("encrypt");
  engine::OutgoingResult result = c.use_cases.messages.outgoing(caller_of(call), request);
  Response response;
  response.content_type = "message/rfc822";
  response.headers.add("X-Smime-Signed", result.signed_ ? "true" : "false");
  response.headers.add("X-Smime-Encrypted", result.encrypted ? "true" : "false");
  response.headers.add("X-Smime-Decided-By", result.decided_by);
  response.body = std::move(result.message);
  return response;
}

Response incoming(const ApiContext& c, const Call& call) {
  const engine::IncomingResult result =
      c.use_cases.messages.incoming(caller_of(call), call.request.body);
  nlohmann::json body = engine::to_json(result);
  body["message"] = base64(result.message);
  return json_response(200, body);
}

Response preflight(const ApiContext& c, const Call& call) {
  if (!call.json.is_object()) {
    throw Error(ErrorCode::invalid_input, "The body must be a JSON object");
  }
  engine::PreflightRequest request;
  request.from = json_optional_string(call, "from").value_or("");
  request.to = json_string_list(call, "to");
  request.cc = json_string_list(call, "cc");
  request.bcc = json_string_list(call, "bcc");
  request.group = json_optional_string(call, "group").value_or("");
  return json_response(200, engine::to_json(c.use_cases.messages.preflight(request)));
}

Response logs(const ApiContext& c, const Call& call) {
  audit::AuditQuery query;
  if (const std::string d = call.query("direction"); !d.empty()) {
    query.direction = audit::parse_direction(d);
    if (!query.direction) {
      throw Error(ErrorCode::invalid_input, "direction must be incoming, outgoing or admin");
    }
  }
  if (const std::string s = call.query("status"); !s.empty()) {
    query.status = audit::parse_status(s);
    if (!query.status) throw Error(ErrorCode::invalid_input, "status must be ok or failed");
  }
  query.operation = call.query("operation");
  query.address = call.query("address");
  query.retryable_only = call.query_flag("retryable").value_or(false);
  query.limit = static_cast<int>(query_integer(call, "limit", 100, 1, audit::kMaxListLimit));
  query.offset = static_cast<int>(query_integer(call, "offset", 0, 0, 1 << 30));
  return json_response(200, app::to_json(c.use_cases.logs.list(query)));
}

}  // namespace

void add_message_routes(std::vector<Route>& routes, const ApiContext& c) {
  routes.push_back({"POST",
                    "/api/v1/messages/outgoing",
                    Access::messages,
                    {"message/rfc822"},
                    "processOutgoing",
                    bind(c, outgoing)});
  routes.back().parameters = {"group", "sign", "encrypt"};
  routes.push_back({"POST",
                    "/api/v1/messages/incoming",
                    Access::messages,
                    {"message/rfc822"},
                    "processIncoming",
                    bind(c, incoming)});
  routes.push_back({"POST",
                    "/api/v1/messages/preflight",
                    Access::messages,
                    {"application/json"},
                    "preflight",
                    bind(c, preflight)});
  routes.push_back({"GET", "/api/v1/logs", Access::logs, {}, "listLogs", bind(c, logs)});
  routes.back().parameters = {"direction", "status", "operation", "address",
                              "retryable", "limit",  "offset"};
}

}  // namespace smime::server::routes
