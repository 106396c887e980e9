// Audit entries of smimectl's commands (SPEC §9): actor "smimectl".
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "app_context.hpp"
#include "smime/audit/audit_sink.hpp"
#include "smime/engine/engine.hpp"

namespace smimectl {

// Runs body as one audited administrative change (direction admin). body fills in what it
// learns (fingerprints, addresses, detail). The entry is recorded with status ok when body
// returns, or failed — detail extended with the error — when it throws; the exception then
// propagates. Usage errors (nothing was attempted) are not recorded. A failure to record
// an ok entry is an error of the command (exit 1).
void audited(AppContext& ctx, std::string_view operation,
             const std::function<void(smime::audit::AuditEvent&)>& body);

// The engine's outgoing/incoming operations, recorded (direction outgoing/incoming, with the
// message's Message-ID and addresses). A failed incoming result is recorded with the needs
// that would make it succeed; an exception is recorded as failed and rethrown.
smime::engine::OutgoingResult audited_outgoing(AppContext& ctx, const std::string& message,
                                               const smime::engine::OutgoingRequest& request);
smime::engine::IncomingResult audited_incoming(AppContext& ctx, const std::string& message);

}  // namespace smimectl
