#include "smime/audit/message_events.hpp"

#include "engine/mime/mime_message.hpp"
#include "smime/audit/engine_needs.hpp"
#include "smime/common/error.hpp"

namespace smime::audit {
namespace {

std::string outgoing_operation(const engine::OutgoingResult& r) {
  if (r.signed_ && r.encrypted) return "message.sign+encrypt";
  if (r.signed_) return "message.sign";
  if (r.encrypted) return "message.encrypt";
  return "message.outgoing";
}

std::string incoming_operation(const engine::IncomingResult& r) {
  if (r.encrypted && r.signed_) return "message.decrypt+verify";
  if (r.encrypted) return "message.decrypt";
  if (r.signed_) return "message.verify";
  return "message.incoming";
}

}  // namespace

AuditEvent message_event(std::string actor, Direction direction, std::string_view message) {
  AuditEvent event;
  event.actor = std::move(actor);
  event.direction = direction;
  event.operation = direction == Direction::outgoing ? "message.outgoing" : "message.incoming";
  try {
    const auto parsed = engine::mime::parse_addresses(message);
    event.message_id = parsed.message_id;
    event.addresses = engine::mime::all_addresses(parsed);
  } catch (const Error&) {
    // Not a message: the entry says so through the operation's own error.
  }
  return event;
}

void describe_outgoing(AuditEvent& event, const engine::OutgoingResult& result) {
  event.operation = outgoing_operation(result);
  if (result.signer) event.fingerprints.push_back(result.signer->fingerprint);
  for (const auto& r : result.recipients) event.fingerprints.push_back(r.fingerprint);
  event.detail =
      result.format.empty() ? result.decided_by : result.format + ", " + result.decided_by;
}

namespace {

AuditEvent event_from(std::string actor, Direction direction, const std::string& message_id,
                      const std::vector<std::string>& addresses) {
  AuditEvent event;
  event.actor = std::move(actor);
  event.direction = direction;
  event.message_id = message_id;
  event.addresses = addresses;
  return event;
}

}  // namespace

AuditEvent outgoing_event(std::string actor, const engine::OutgoingResult& result) {
  AuditEvent event =
      event_from(std::move(actor), Direction::outgoing, result.message_id, result.addresses);
  describe_outgoing(event, result);
  return event;
}

AuditEvent incoming_event(std::string actor, const engine::IncomingResult& result) {
  AuditEvent event =
      event_from(std::move(actor), Direction::incoming, result.message_id, result.addresses);
  describe_incoming(event, result);
  return event;
}

void describe_incoming(AuditEvent& event, const engine::IncomingResult& result) {
  event.operation = incoming_operation(result);
  event.status = result.ok() ? Status::ok : Status::failed;
  if (result.signer) event.fingerprints.push_back(result.signer->fingerprint);
  if (!result.decryption_key.empty()) event.fingerprints.push_back(result.decryption_key);
  std::string detail;
  if (result.signed_) {
    detail = "signature " + std::string(engine::to_string(result.signature));
    if (!result.signature_reason.empty()) detail += ": " + result.signature_reason;
  }
  for (const auto& e : result.errors) detail += (detail.empty() ? "" : "; ") + e.message;
  event.detail = detail;
  event.needs = needs_from(result.missing);
}

void mark_failed(AuditEvent& event, std::string_view error) {
  event.status = Status::failed;
  event.detail =
      event.detail.empty() ? std::string(error) : event.detail + ": " + std::string(error);
}

}  // namespace smime::audit
