#include "message_audit.hpp"

#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "smime/engine/result_json.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::app::detail {
namespace {

std::string_view outgoing_operation(const engine::OutgoingResult& r) {
  if (r.signed_ && r.encrypted) return audit::operation::message_sign_encrypt;
  if (r.signed_) return audit::operation::message_sign;
  if (r.encrypted) return audit::operation::message_encrypt;
  return audit::operation::message_outgoing;
}

std::string_view incoming_operation(const engine::IncomingResult& r) {
  if (r.encrypted && r.signed_) return audit::operation::message_decrypt_verify;
  if (r.encrypted) return audit::operation::message_decrypt;
  if (r.signed_) return audit::operation::message_verify;
  return audit::operation::message_incoming;
}

audit::AuditEvent message_entry(const Caller& caller, audit::Direction direction,
                                std::string_view operation, std::string message_id,
                                std::vector<std::string> addresses) {
  audit::AuditEvent event;
  event.actor = caller.actor;
  event.direction = direction;
  event.operation = std::string(operation);
  event.message_id = std::move(message_id);
  event.addresses = std::move(addresses);
  return event;
}

audit::Need need_from(const engine::MissingItem& item) {
  return audit::Need{item.kind, item.issuer, item.serial, item.subject_key_id, item.subject};
}

// "layer 1 multipart/signed: valid (integrity valid, chain valid, revocation good by crl, ...)"
std::string layer_detail(std::size_t index, const engine::SignatureLayer& layer) {
  const engine::SignatureChecks& c = layer.checks;
  std::string revocation = c.revocation.status;
  if (!c.revocation.source.empty()) revocation += " by " + c.revocation.source;
  if (!c.revocation.origin.empty()) revocation += " (" + c.revocation.origin + ")";
  std::string text = "layer " + std::to_string(index) + " " + layer.format + ": " +
                     std::string(engine::to_string(layer.status)) + " (integrity " +
                     c.integrity.status + ", chain " + c.chain.status + ", revocation " +
                     revocation + ", sender " + c.sender_match.status + ", validity " +
                     c.validity.status + ", algorithm " + c.algorithm.status + ")";
  if (c.chain.status == "invalid" || c.chain.status == "unknown_issuer") {
    text += " chain: " + c.chain.reason;
  }
  for (const std::string& warning : layer.warnings) text += " warning " + warning;
  return text;
}

}  // namespace

audit::AuditEvent outgoing_event(const Caller& caller, const engine::OutgoingResult& result) {
  audit::AuditEvent event =
      message_entry(caller, audit::Direction::outgoing, outgoing_operation(result),
                    result.message_id, result.addresses);
  if (result.signer) event.fingerprints.push_back(result.signer->fingerprint);
  for (const auto& r : result.recipients) event.fingerprints.push_back(r.fingerprint);
  event.detail =
      result.format.empty() ? result.decided_by : result.format + ", " + result.decided_by;
  if (!result.not_encrypted_reason.empty()) {
    event.detail += "; not encrypted: " + result.not_encrypted_reason;
  }
  if (result.encrypted) {
    event.detail += "; cipher " + result.cipher_reason + "; key transport";
    for (const auto& r : result.recipients) {
      event.detail +=
          (&r == &result.recipients.front() ? " " : ", ") + r.address + " " + r.key_transport;
    }
  }
  return event;
}

audit::AuditEvent incoming_event(const Caller& caller, const engine::IncomingResult& result) {
  audit::AuditEvent event =
      message_entry(caller, audit::Direction::incoming, incoming_operation(result),
                    result.message_id, result.addresses);
  event.status = result.ok() ? audit::Status::ok : audit::Status::failed;
  if (result.signer) event.fingerprints.push_back(result.signer->fingerprint);
  if (!result.decryption_key.empty()) event.fingerprints.push_back(result.decryption_key);
  std::string detail;
  if (result.signed_) {
    detail = "signature " + std::string(engine::to_string(result.signature));
    if (!result.signature_reason.empty()) detail += ": " + result.signature_reason;
  }
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = 0; i < result.signatures.size(); ++i) {
    detail += "; " + layer_detail(i + 1, result.signatures[i]);
    layers.push_back(engine::to_json(result.signatures[i]));
  }
  if (!layers.empty()) {
    event.signatures = layers.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  for (const auto& e : result.errors) detail += (detail.empty() ? "" : "; ") + e.message;
  event.detail = detail;
  for (const engine::MissingItem& item : result.missing) {
    event.needs.push_back(need_from(item).to_string());
  }
  return event;
}

audit::AuditEvent unprocessed_message_event(const Caller& caller, audit::Direction direction,
                                            std::string_view message) {
  const std::string_view operation = direction == audit::Direction::outgoing
                                         ? audit::operation::message_outgoing
                                         : audit::operation::message_incoming;
  try {
    const auto parsed = engine::mime::parse_addresses(message);
    return message_entry(caller, direction, operation, parsed.message_id,
                         engine::mime::all_addresses(parsed));
  } catch (const Error&) {
    // Not a message: the entry says so through the operation's own error.
    return message_entry(caller, direction, operation, {}, {});
  }
}

}  // namespace smime::app::detail
