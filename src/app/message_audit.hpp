// Internal to smime_app: the audit entries of message operations (SPEC §9): the Message-ID and
// addresses of the message, then what the engine did with it.
#pragma once

#include <string_view>

#include "smime/app/caller.hpp"
#include "smime/audit/audit_sink.hpp"
#include "smime/engine/engine.hpp"

namespace smime::app::detail {

// The entry of an outgoing message the engine processed, from its result alone (Message-ID
// and addresses as the engine parsed them: the message is not parsed a second time).
audit::AuditEvent outgoing_event(const Caller& caller, const engine::OutgoingResult& result);
// The same for a received message: status failed unless everything succeeded, and the needs
// that would make it succeed (retry support).
audit::AuditEvent incoming_event(const Caller& caller, const engine::IncomingResult& result);
// The entry of a message the engine could not process (it threw), with the Message-ID and
// the From, To, Cc and Bcc addresses read from the message (none when it is not a message).
audit::AuditEvent unprocessed_message_event(const Caller& caller, audit::Direction direction,
                                            std::string_view message);

}  // namespace smime::app::detail
