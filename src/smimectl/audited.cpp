#include "audited.hpp"

#include <spdlog/spdlog.h>

#include "smime/audit/message_events.hpp"
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
  smime::audit::mark_failed(event, error);
  try {
    ctx.audit().record(event);
  } catch (const std::exception& e) {
    spdlog::error("the audit entry of the failed {} could not be written: {}", event.operation,
                  e.what());
  }
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
  smime::engine::OutgoingResult result;
  try {
    result = ctx.engine().outgoing(request);
  } catch (const std::exception& e) {
    smime::audit::AuditEvent event =
        smime::audit::message_event(kActor, smime::audit::Direction::outgoing, message);
    record_failure(ctx, event, e.what());
    throw;
  }
  ctx.audit().record(smime::audit::outgoing_event(kActor, result));
  return result;
}

smime::engine::IncomingResult audited_incoming(AppContext& ctx, const std::string& message) {
  smime::engine::IncomingResult result;
  try {
    result = ctx.engine().incoming(message);
  } catch (const std::exception& e) {
    smime::audit::AuditEvent event =
        smime::audit::message_event(kActor, smime::audit::Direction::incoming, message);
    record_failure(ctx, event, e.what());
    throw;
  }
  ctx.audit().record(smime::audit::incoming_event(kActor, result));
  return result;
}

}  // namespace smimectl
