// What the use cases work on: interfaces, so that tests can hand in fakes; the composition
// root (app::Application) builds the real ones from the configuration.
#pragma once

#include <functional>

#include "smime/audit/audit_log.hpp"
#include "smime/audit/audit_sink.hpp"
#include "smime/engine/engine.hpp"
#include "smime/pkcs11/token_report.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/store.hpp"
#include "smime/token/key_store.hpp"

namespace smime::app {

struct Dependencies {
  store::Store& store;
  store::ApiTokenStore& api_tokens;
  service::CertificateService& certificates;
  engine::Engine& engine;
  audit::AuditSink& audit;
  audit::AuditReader& audit_reader;
  // The logged-in key store; opens the token on first use (a failure is retried next time).
  std::function<KeyStore&()> keys;
  // The token's description, login state and capabilities (probe: also try the mechanisms
  // the token may lack, with temporary session keys).
  std::function<pkcs11::TokenReport(bool probe)> token_report;
  // A cheap call that fails when the token cannot be used (health).
  std::function<void()> ping_token;
};

}  // namespace smime::app
