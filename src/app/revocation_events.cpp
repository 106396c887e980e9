#include "smime/app/revocation_events.hpp"

#include <spdlog/spdlog.h>

#include "smime/common/display_text.hpp"

namespace smime::app {

audit::AuditEvent revocation_audit_event(const engine::RevocationEvent& event) {
  audit::AuditEvent entry;
  entry.actor = kRevocationActor;
  entry.direction = audit::Direction::admin;
  entry.status = event.ok ? audit::Status::ok : audit::Status::failed;
  if (event.kind == "ocsp") {
    entry.operation = event.ok ? "ocsp.query" : "ocsp.query_failed";
  } else {
    entry.operation = event.ok ? "crl.fetched" : "crl.fetch_failed";
  }
  const std::string url = escape_for_display(event.url.substr(0, 512));
  entry.detail = url + ": " + escape_for_display(event.reason.substr(0, 1024));
  if (event.refresh) entry.detail += " (refreshed before its nextUpdate)";
  if (!event.issuer.empty() && event.reason.find(event.issuer) == std::string::npos) {
    entry.detail += "; issuer " + escape_for_display(event.issuer);
  }
  return entry;
}

engine::RevocationListener audit_revocation_events(audit::AuditSink& audit) {
  return [&audit](const engine::RevocationEvent& event) {
    if (event.kind == "ocsp" && event.ok) return;  // counted only
    if (!event.ok) {
      spdlog::warn("revocation: {} {} failed: {}", event.kind, escape_for_display(event.url),
                   escape_for_display(event.reason));
    }
    audit.record(revocation_audit_event(event));
  };
}

}  // namespace smime::app
