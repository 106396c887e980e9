// Audit entries for message operations (SPEC §9), shared by smimectl and smimed: the
// Message-ID and addresses of the message, then what the engine did with it.
#pragma once

#include <string>
#include <string_view>

#include "smime/audit/audit_sink.hpp"
#include "smime/engine/engine.hpp"

namespace smime::audit {

// A new entry for an outgoing or incoming message, with its Message-ID and every From, To,
// Cc and Bcc address (nothing when the input is not a message).
AuditEvent message_event(std::string actor, Direction direction, std::string_view message);

// Fills in operation ("message.sign+encrypt", ...), fingerprints and detail.
void describe_outgoing(AuditEvent& event, const engine::OutgoingResult& result);
// The entry of an outgoing message the engine processed, from its result alone (Message-ID
// and addresses as the engine parsed them: the message is not parsed a second time). For a
// failed operation use message_event() and mark_failed().
AuditEvent outgoing_event(std::string actor, const engine::OutgoingResult& result);
// The same for a received message (the engine never throws for bad content, so only a token
// or internal failure needs message_event()).
AuditEvent incoming_event(std::string actor, const engine::IncomingResult& result);
// The same for incoming mail, plus status (failed unless everything succeeded) and needs.
void describe_incoming(AuditEvent& event, const engine::IncomingResult& result);

// Marks the entry failed with the error (appended to the detail).
void mark_failed(AuditEvent& event, std::string_view error);

}  // namespace smime::audit
