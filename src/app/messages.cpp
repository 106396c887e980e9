#include "smime/app/messages.hpp"

#include <exception>

#include "audited.hpp"
#include "message_audit.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"
#include "smime/store/revision_scope.hpp"

namespace smime::app {

engine::OutgoingResult MessageUseCases::outgoing(const Caller& caller,
                                                 const engine::OutgoingRequest& request) {
  const store::RevisionScope one_revision;  // the caches share one read of it
  // A message the engine takes over is gone when it fails: the entry is made from its header.
  std::string header;
  if (request.take != nullptr) {
    try {
      header = engine::mime::header_block(request.message);
    } catch (const Error&) {
      // Not a message: the entry says so through the engine's own error below.
    }
  }
  engine::OutgoingResult result;
  try {
    result = deps_.engine.outgoing(request);
  } catch (const std::exception& e) {
    audit::AuditEvent event = detail::unprocessed_message_event(
        caller, audit::Direction::outgoing, request.take != nullptr ? header : request.message);
    detail::record_failure(deps_.audit, event, e.what());
    throw;
  }
  deps_.audit.record(detail::outgoing_event(caller, result));  // durable before the answer
  return result;
}

engine::IncomingResult MessageUseCases::incoming(const Caller& caller, std::string message) {
  engine::IncomingResult result;
  {
    const store::RevisionScope one_revision;
    // The engine takes the message over: a failure's entry is made from its header.
    std::string header;
    try {
      header = engine::mime::header_block(message);
    } catch (const Error&) {
      // Not a message: the engine says so in the result.
    }
    try {
      result = deps_.engine.incoming(std::move(message));
    } catch (const std::exception& e) {
      audit::AuditEvent event =
          detail::unprocessed_message_event(caller, audit::Direction::incoming, header);
      detail::record_failure(deps_.audit, event, e.what());
      throw;
    }
    deps_.audit.record(detail::incoming_event(caller, result));  // durable before the answer
  }
  // Changes of the store, after the message's own reading of it.
  if (harvest_) harvest(caller, result);
  record_capabilities(caller, result);
  return result;
}

engine::PreflightResult MessageUseCases::preflight(const engine::PreflightRequest& request) {
  const store::RevisionScope one_revision;
  return deps_.engine.preflight(request);
}

}  // namespace smime::app
