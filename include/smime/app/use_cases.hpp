// Every use case of the appliance, written once for every front end (smimectl, smimed): each
// takes a typed request and returns a typed result, and writes its own audit entry. The front
// ends only translate argv or HTTP into these calls and the results into text or JSON
// (smime/app/json_views.hpp has the one JSON view of each result).
#pragma once

#include "smime/app/access.hpp"
#include "smime/app/administration.hpp"
#include "smime/app/certificates.hpp"
#include "smime/app/dependencies.hpp"
#include "smime/app/keys.hpp"
#include "smime/app/messages.hpp"
#include "smime/app/system.hpp"

namespace smime::app {

class UseCases {
 public:
  // What deps refers to must outlive the use cases.
  explicit UseCases(Dependencies deps)
      : deps_(std::move(deps)),
        access(deps_),
        certificates(deps_),
        keys(deps_),
        groups(deps_),
        crls(deps_),
        api_tokens(deps_),
        messages(deps_),
        logs(deps_),
        health(deps_),
        token(deps_) {}
  UseCases(const UseCases&) = delete;
  UseCases& operator=(const UseCases&) = delete;

 private:
  Dependencies deps_;  // first: the groups below refer to it

 public:
  AccessUseCases access;
  CertificateUseCases certificates;
  KeyUseCases keys;
  GroupUseCases groups;
  CrlUseCases crls;
  ApiTokenUseCases api_tokens;
  MessageUseCases messages;
  LogUseCases logs;
  HealthUseCases health;
  TokenUseCases token;
};

}  // namespace smime::app
