// The helpdesk's message operations (SPEC §7): outgoing sign/encrypt, incoming
// decrypt/verify and preflight. Each message operation is in the audit log before it returns.
#pragma once

#include <string_view>

#include "smime/app/caller.hpp"
#include "smime/app/dependencies.hpp"

namespace smime::app {

class MessageUseCases {
 public:
  explicit MessageUseCases(const Dependencies& deps) : deps_(deps) {}

  // Errors of the engine propagate (recorded as failed first).
  engine::OutgoingResult outgoing(const Caller& caller, const engine::OutgoingRequest& request);
  // Never throws for bad content (the reasons are in the result); a token or internal
  // failure propagates, recorded as failed first.
  engine::IncomingResult incoming(const Caller& caller, std::string_view message);
  // Reads the store only; not audited.
  engine::PreflightResult preflight(const engine::PreflightRequest& request);

 private:
  const Dependencies& deps_;
};

}  // namespace smime::app
