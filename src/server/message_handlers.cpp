#include "smime/server/message_handlers.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "smime/audit/audit_json.hpp"
#include "smime/audit/message_events.hpp"
#include "smime/common/error.hpp"
#include "smime/engine/result_json.hpp"

namespace smime::server {
namespace {

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Records a failed operation; the original error is what the client gets.
void record_failure(audit::AuditLog& log, audit::AuditEvent& event, const std::exception& e) {
  audit::mark_failed(event, e.what());
  try {
    log.record(event);
  } catch (const std::exception& again) {
    spdlog::error("the audit entry of the failed {} could not be written: {}", event.operation,
                  again.what());
  }
}

std::vector<std::string> string_list(const nlohmann::json& json, const char* field) {
  std::vector<std::string> out;
  if (!json.contains(field) || json[field].is_null()) return out;
  const nlohmann::json& value = json[field];
  if (value.is_string()) return {value.get<std::string>()};
  if (!value.is_array()) {
    throw Error(ErrorCode::invalid_input, std::string(field) + " must be a list of addresses");
  }
  for (const auto& item : value) {
    if (!item.is_string()) {
      throw Error(ErrorCode::invalid_input, std::string(field) + " must be a list of addresses");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string optional_string(const nlohmann::json& json, const char* field) {
  if (!json.contains(field) || json[field].is_null()) return {};
  if (!json[field].is_string()) {
    throw Error(ErrorCode::invalid_input, std::string(field) + " must be a string");
  }
  return json[field].get<std::string>();
}

int int_query(const Call& call, std::string_view name, int fallback, int low, int high) {
  const std::string text = call.query(name);
  if (text.empty()) return fallback;
  try {
    std::size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size() && value >= low && value <= high) return value;
  } catch (const std::exception&) {
  }
  throw Error(ErrorCode::invalid_input, std::string(name) + " must be a number from " +
                                            std::to_string(low) + " to " + std::to_string(high));
}

}  // namespace

void install_message_handlers(ExtensionHandlers& handlers, engine::Engine& engine,
                              audit::AuditLog& log, store::Store& store) {
  handlers.messages_outgoing = [&engine, &log](const Call& call) {
    const std::string& message = call.request.body;
    engine::OutgoingRequest request;
    request.message = message;
    request.group = call.query("group");
    request.sign = call.query_flag("sign");
    request.encrypt = call.query_flag("encrypt");
    engine::OutgoingResult result;
    try {
      result = engine.outgoing(request);
    } catch (const std::exception& e) {
      audit::AuditEvent event =
          audit::message_event(call.actor(), audit::Direction::outgoing, message);
      record_failure(log, event, e);
      throw;
    }
    log.record(audit::outgoing_event(call.actor(), result));  // durable before the answer
    Response response;
    response.content_type = "message/rfc822";
    response.headers.add("X-Smime-Signed", result.signed_ ? "true" : "false");
    response.headers.add("X-Smime-Encrypted", result.encrypted ? "true" : "false");
    response.headers.add("X-Smime-Decided-By", result.decided_by);
    response.body = std::move(result.message);
    return response;
  };

  handlers.messages_incoming = [&engine, &log](const Call& call) {
    const std::string& message = call.request.body;
    engine::IncomingResult result;
    try {
      result = engine.incoming(message);
    } catch (const std::exception& e) {
      audit::AuditEvent event =
          audit::message_event(call.actor(), audit::Direction::incoming, message);
      record_failure(log, event, e);
      throw;
    }
    log.record(audit::incoming_event(call.actor(), result));  // durable before the answer
    nlohmann::json body = engine::to_json(result);
    body["message"] = base64(result.message);
    return json_response(200, body);
  };

  handlers.messages_preflight = [&engine](const Call& call) {
    if (!call.json.is_object()) {
      throw Error(ErrorCode::invalid_input, "The body must be a JSON object");
    }
    engine::PreflightRequest request;
    request.from = optional_string(call.json, "from");
    request.to = string_list(call.json, "to");
    request.cc = string_list(call.json, "cc");
    request.bcc = string_list(call.json, "bcc");
    request.group = optional_string(call.json, "group");
    return json_response(200, engine::to_json(engine.preflight(request)));
  };

  handlers.logs = [&log, &store](const Call& call) {
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
    query.limit = int_query(call, "limit", 100, 1, audit::kMaxListLimit);
    query.offset = int_query(call, "offset", 0, 0, 1 << 30);
    nlohmann::json entries = nlohmann::json::array();
    for (const audit::AuditEntry& entry : log.list(query, &store)) {
      entries.push_back(audit::to_json(entry));
    }
    return json_response(200, {{"entries", entries}, {"total", log.count(query)}});
  };
}

}  // namespace smime::server

namespace smime::server {

HelpdeskRoutes::HelpdeskRoutes(Appliance& appliance) {
  Services& services = appliance.services();
  auto log = std::make_unique<audit::AuditLog>(appliance.database_path());
  audit::AuditLog& log_ref = *log;
  engine_ =
      std::make_unique<engine::Engine>(*services.store, *services.certificates, services.keys);
  install_message_handlers(appliance.extensions(), *engine_, log_ref, *services.store);
  appliance.set_audit_sink(std::move(log));
}

HelpdeskRoutes::~HelpdeskRoutes() = default;

}  // namespace smime::server
