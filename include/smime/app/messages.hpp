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
  // failure propagates, recorded as failed first. Under the harvest policy, the signer
  // certificate of a message whose outermost signature is valid is then stored as an untrusted
  // contact certificate when the import rules accept it and it is not stored yet (audited as
  // certificate.harvest, result.harvested_certificate). A harvest that fails is logged and
  // audited as failed; it never changes the result otherwise nor makes this throw.
  engine::IncomingResult incoming(const Caller& caller, std::string_view message);
  // Reads the store only; not audited.
  engine::PreflightResult preflight(const engine::PreflightRequest& request);

  // The harvest policy ([certificates] harvest, off by default). Set before use, not while
  // messages are processed.
  void set_harvest_certificates(bool on) noexcept { harvest_ = on; }
  bool harvest_certificates() const noexcept { return harvest_; }

 private:
  // Stores the signer certificate of `result` under the harvest policy; fills
  // result.harvested_certificate. Never throws.
  void harvest(const Caller& caller, engine::IncomingResult& result);

  const Dependencies& deps_;
  bool harvest_ = false;
};

}  // namespace smime::app
