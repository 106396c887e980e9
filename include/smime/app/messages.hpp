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
  // certificate.harvest, result.harvested_certificate), and so are the intermediates of its
  // validated chain that the message carried. A harvest that fails is logged and audited as
  // failed; it never changes the result otherwise nor makes this throw. Then the capabilities
  // each verified signer announced are recorded for its certificate when it is stored.
  // The message is moved into the engine (Engine::incoming).
  engine::IncomingResult incoming(const Caller& caller, std::string message);
  // Reads the store only; not audited.
  engine::PreflightResult preflight(const engine::PreflightRequest& request);

  // The harvest policy ([certificates] harvest, off by default). Set before use, not while
  // messages are processed.
  void set_harvest_certificates(bool on) noexcept { harvest_ = on; }
  bool harvest_certificates() const noexcept { return harvest_; }

 private:
  // Stores the signer certificate of `result` under the harvest policy, and the intermediates
  // of its validated chain that were not stored (untrusted, each audited as
  // certificate.harvest); fills result.harvested_certificate / harvested_intermediates.
  // Never throws (src/app/harvest.cpp).
  void harvest(const Caller& caller, engine::IncomingResult& result);
  // Records the SMIMECapabilities each verified signature layer announced for its (stored)
  // signer certificate, audited as certificate.capabilities when that changes what is recorded;
  // fills result.capabilities_recorded. Never throws (src/app/announced_capabilities.cpp).
  void record_capabilities(const Caller& caller, engine::IncomingResult& result);

  const Dependencies& deps_;
  bool harvest_ = false;
};

}  // namespace smime::app
