#include "audited.hpp"

#include <spdlog/spdlog.h>

#include "engine/mime/mime_message.hpp"
#include "smime/audit/engine_needs.hpp"
#include "smime/common/error.hpp"

namespace smimectl {
namespace {

constexpr const char* kActor = "smimectl";

smime::audit::AuditEvent new_event(smime::audit::Direction direction, std::string_view operation) {
  smime::audit::AuditEvent event;
  event.actor = kActor;
  event.direction = direction;
  event.operation = std::string(operation);
  return event;
}

// Records a failed entry without hiding the original error when that fails too.
void record_failure(AppContext& ctx, smime::audit::AuditEvent& event, const std::string& error) {
  event.status = smime::audit::Status::failed;
  event.detail = event.detail.empty() ? error : event.detail + ": " + error;
  try {
    ctx.audit().record(event);
  } catch (const std::exception& e) {
    spdlog::error("the audit entry of the failed {} could not be written: {}", event.operation,
                  e.what());
  }
}

// Message-ID and every address of a message, as far as it parses.
void describe_message(smime::audit::AuditEvent& event, const std::string& message) {
  try {
    auto parsed = smime::engine::mime::parse_addresses(message);
    event.message_id = parsed.message_id;
    for (auto* list : {&parsed.from, &parsed.to, &parsed.cc, &parsed.bcc}) {
      event.addresses.insert(event.addresses.end(), list->begin(), list->end());
    }
  } catch (const smime::Error&) {
    // Not a message: the entry says so through the operation's own error.
  }
}

std::string outgoing_operation(const smime::engine::OutgoingResult& r) {
  if (r.signed_ && r.encrypted) return "message.sign+encrypt";
  if (r.signed_) return "message.sign";
  if (r.encrypted) return "message.encrypt";
  return "message.outgoing";
}

std::string incoming_operation(const smime::engine::IncomingResult& r) {
  if (r.encrypted && r.signed_) return "message.decrypt+verify";
  if (r.encrypted) return "message.decrypt";
  if (r.signed_) return "message.verify";
  return "message.incoming";
}

}  // namespace

void audited(AppContext& ctx, std::string_view operation,
             const std::function<void(smime::audit::AuditEvent&)>& body) {
  smime::audit::AuditEvent event = new_event(smime::audit::Direction::admin, operation);
  try {
    body(event);
  } catch (const smime::Error& e) {
    if (e.code() != smime::ErrorCode::usage) record_failure(ctx, event, e.what());
    throw;
  } catch (const std::exception& e) {
    record_failure(ctx, event, e.what());
    throw;
  }
  ctx.audit().record(event);
}

smime::engine::OutgoingResult audited_outgoing(AppContext& ctx, const std::string& message,
                                               const smime::engine::OutgoingRequest& request) {
  smime::audit::AuditEvent event = new_event(smime::audit::Direction::outgoing, "message.outgoing");
  describe_message(event, message);
  smime::engine::OutgoingResult result;
  try {
    result = ctx.engine().outgoing(request);
  } catch (const std::exception& e) {
    record_failure(ctx, event, e.what());
    throw;
  }
  event.operation = outgoing_operation(result);
  if (result.signer) event.fingerprints.push_back(result.signer->fingerprint);
  for (const auto& r : result.recipients) event.fingerprints.push_back(r.fingerprint);
  event.detail =
      result.format.empty() ? result.decided_by : result.format + ", " + result.decided_by;
  ctx.audit().record(event);
  return result;
}

smime::engine::IncomingResult audited_incoming(AppContext& ctx, const std::string& message) {
  smime::audit::AuditEvent event = new_event(smime::audit::Direction::incoming, "message.incoming");
  describe_message(event, message);
  smime::engine::IncomingResult result;
  try {
    result = ctx.engine().incoming(message);
  } catch (const std::exception& e) {
    record_failure(ctx, event, e.what());
    throw;
  }
  event.operation = incoming_operation(result);
  event.status = result.ok() ? smime::audit::Status::ok : smime::audit::Status::failed;
  if (result.signer) event.fingerprints.push_back(result.signer->fingerprint);
  if (!result.decryption_key.empty()) event.fingerprints.push_back(result.decryption_key);
  std::string detail;
  if (result.signed_) {
    detail = "signature " + std::string(smime::engine::to_string(result.signature));
    if (!result.signature_reason.empty()) detail += ": " + result.signature_reason;
  }
  for (const auto& e : result.errors) detail += (detail.empty() ? "" : "; ") + e.message;
  event.detail = detail;
  event.needs = smime::audit::needs_from(result.missing);
  ctx.audit().record(event);
  return result;
}

}  // namespace smimectl
