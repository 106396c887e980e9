// The helpdesk's routes (SPEC §8, §13): outgoing, incoming and preflight, and the audit log.
#include <openssl/evp.h>

#include "routes.hpp"
#include "smime/app/json_views.hpp"
#include "smime/engine/result_json.hpp"

namespace smime::server::routes {
namespace {

// Appends the base64 of `data` to `out`, sized once.
void append_base64(std::string& out, std::string_view data) {
  const std::size_t at = out.size();
  out.resize(at + 4 * ((data.size() + 2) / 3) + 1);
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + at),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(at + static_cast<std::size_t>(n));
}

// From this size on, the engine takes the message over (its buffer becomes the entity, and its
// pages are released as it is encrypted): not held twice, and the answer not next to it.
constexpr std::size_t kTakeOverBytes = std::size_t{1} << 20;

Response outgoing(const ApiContext& c, const Call& call) {
  engine::OutgoingRequest request;
  std::string body;
  if (call.request.body.size() >= kTakeOverBytes) {
    body = call.take_body();
    request.message = body;
    request.take = &body;
  } else {
    request.message = call.request.body;
  }
  request.group = call.query("group");
  request.sign = call.query_flag("sign");
  request.encrypt = call.query_flag("encrypt");
  engine::OutgoingResult result = c.use_cases.messages.outgoing(caller_of(call), request);
  Response response;
  response.content_type = "message/rfc822";
  response.headers.add("X-Smime-Signed", result.signed_ ? "true" : "false");
  response.headers.add("X-Smime-Encrypted", result.encrypted ? "true" : "false");
  response.headers.add("X-Smime-Decided-By", result.decided_by);
  if (!result.not_encrypted_reason.empty()) {
    response.headers.add("X-Smime-Not-Encrypted-Reason", header_value(result.not_encrypted_reason));
  }
  if (result.encrypted) {
    response.headers.add("X-Smime-Cipher", result.cipher);
    response.headers.add("X-Smime-Cipher-Reason", header_value(result.cipher_reason));
  }
  response.body = std::move(result.message);
  return response;
}

// Accept naming message/rfc822 at least as high as JSON: the message itself, not JSON.
bool wants_message(const Call& call) {
  const auto accept = call.request.headers.get("Accept");
  const double message = accept_quality(accept, "message/rfc822", /*wildcards=*/false);
  return message > 0 && message >= accept_quality(accept, "application/json", true);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The JSON summary's fields as X-Smime-* headers, each value made safe for a header.
Response incoming_as_message(engine::IncomingResult result) {
  Response response;
  response.content_type = "message/rfc822";
  Headers& h = response.headers;
  h.add("X-Smime-Encrypted", result.encrypted ? "true" : "false");
  h.add("X-Smime-Decrypted", result.decrypted ? "true" : "false");
  h.add("X-Smime-Signed", result.signed_ ? "true" : "false");
  h.add("X-Smime-Signature", std::string(engine::to_string(result.signature)));
  if (!result.signature_reason.empty()) {
    h.add("X-Smime-Signature-Reason", header_value(result.signature_reason));
  }
  if (result.signer) {
    h.add("X-Smime-Signer", header_value(result.signer->fingerprint));
    h.add("X-Smime-Signer-Subject", header_value(result.signer->subject));
    if (!result.signer->emails.empty()) {
      h.add("X-Smime-Signer-Emails", header_value(joined(result.signer->emails)));
    }
  }
  if (!result.layers.empty()) h.add("X-Smime-Layers", header_value(joined(result.layers)));
  if (!result.decryption_key.empty()) h.add("X-Smime-Decryption-Key", result.decryption_key);
  if (!result.harvested_certificate.empty()) {
    h.add("X-Smime-Harvested-Certificate", result.harvested_certificate);
  }
  std::vector<std::string> codes;
  for (const auto& e : result.errors) codes.push_back(e.code);
  if (!codes.empty()) {
    h.add("X-Smime-Errors", header_value(joined(codes)));
    h.add("X-Smime-Error-Message", header_value(result.errors.front().message));
  }
  if (!result.missing.empty()) h.add("X-Smime-Missing", std::to_string(result.missing.size()));
  response.body = std::move(result.message);
  return response;
}

Response incoming(const ApiContext& c, const Call& call) {
  engine::IncomingResult result = c.use_cases.messages.incoming(caller_of(call), call.take_body());
  if (wants_message(call)) return incoming_as_message(std::move(result));
  // The message's base64 is written into the dumped summary's end (no JSON string of it, no
  // second copy of a large message); base64 needs no escaping.
  Response response = json_response(200, engine::to_json(result));
  std::string& out = response.body;
  out.pop_back();  // the object's '}'
  out += out.size() > 1 ? ",\"message\":\"" : "\"message\":\"";
  append_base64(out, result.message);
  std::string().swap(result.message);
  out += "\"}";
  return response;
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
  if (c.incoming_body_limit != 0) {
    routes.back().body_limit = BodyLimit{c.incoming_body_limit, "incoming_body_limit"};
  }
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
