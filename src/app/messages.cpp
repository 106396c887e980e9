#include "smime/app/messages.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "audited.hpp"
#include "message_audit.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "smime/service/json_views.hpp"
#include "smime/store/revision_scope.hpp"

namespace smime::app {
namespace {

// The import found the certificate already stored (a concurrent harvest or import since the
// engine looked): nothing to store and nothing to audit.
struct AlreadyStored {};

std::string refusal_text(const service::ImportReport& report) {
  std::string text;
  for (const auto& e : report.errors) {
    text += (text.empty() ? "" : "; ") + e.message;
  }
  return text.empty() ? "not imported" : text;
}

bool only_duplicates(const service::ImportReport& report) {
  if (report.errors.empty() || report.errors_omitted > 0) return false;
  for (const auto& e : report.errors) {
    if (e.kind != "duplicate") return false;
  }
  return true;
}

}  // namespace

engine::OutgoingResult MessageUseCases::outgoing(const Caller& caller,
                                                 const engine::OutgoingRequest& request) {
  const store::RevisionScope one_revision;  // the caches share one read of it
  engine::OutgoingResult result;
  try {
    result = deps_.engine.outgoing(request);
  } catch (const std::exception& e) {
    audit::AuditEvent event =
        detail::unprocessed_message_event(caller, audit::Direction::outgoing, request.message);
    detail::record_failure(deps_.audit, event, e.what());
    throw;
  }
  deps_.audit.record(detail::outgoing_event(caller, result));  // durable before the answer
  return result;
}

engine::IncomingResult MessageUseCases::incoming(const Caller& caller, std::string_view message) {
  engine::IncomingResult result;
  {
    const store::RevisionScope one_revision;
    try {
      result = deps_.engine.incoming(message);
    } catch (const std::exception& e) {
      audit::AuditEvent event =
          detail::unprocessed_message_event(caller, audit::Direction::incoming, message);
      detail::record_failure(deps_.audit, event, e.what());
      throw;
    }
    deps_.audit.record(detail::incoming_event(caller, result));  // durable before the answer
  }
  // A change of the store, after the message's own reading of it.
  if (harvest_) harvest(caller, result);
  return result;
}

void MessageUseCases::harvest(const Caller& caller, engine::IncomingResult& result) {
  // Only the outermost signature counts, and only when it is valid: not expired, revoked,
  // unknown_signer, sender_mismatch or invalid.
  if (!result.signed_ || result.signature != engine::SignatureStatus::valid) return;
  if (result.signatures.empty() || result.signatures.front().status != result.signature) return;
  if (!result.signer || result.signer->stored || result.signer->der.empty()) return;
  const engine::SignerDetails& signer = *result.signer;

  audit::AuditEvent event = detail::admin_event(caller, audit::operation::certificate_harvest);
  event.message_id = result.message_id;
  event.fingerprints = {signer.fingerprint};
  event.addresses = signer.emails;
  event.detail = "signer certificate " + signer.subject;
  std::string stored;
  try {
    detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
      // The import path with its S/MIME rules (and the legacy policy as configured); never a
      // trust anchor.
      const service::ImportReport report =
          deps_.certificates.import_certificates(signer.der, nullptr, false, false);
      if (report.imported.empty() && only_duplicates(report)) throw AlreadyStored{};
      if (report.imported.empty()) {
        throw Error(ErrorCode::invalid_input,
                    "The signer certificate was not stored: " + refusal_text(report));
      }
      const store::CertificateRecord& record = report.imported.front().record;
      event.fingerprints = {record.sha256};
      event.addresses = record.emails;
      event.detail = "stored untrusted from a signed message: " + record.subject;
      if (!record.legacy_rules.empty()) {
        event.detail += " (" + service::relaxed_rules_text(record.legacy_rules) + ")";
      }
      stored = record.sha256;
    });
  } catch (const AlreadyStored&) {
    return;
  } catch (const std::exception& e) {
    // audited_change has recorded the failure; the message's own result stays as it is.
    spdlog::warn("certificate harvest of {} from message {} failed: {}", signer.fingerprint,
                 result.message_id, e.what());
    return;
  }
  result.harvested_certificate = stored;
}

engine::PreflightResult MessageUseCases::preflight(const engine::PreflightRequest& request) {
  const store::RevisionScope one_revision;
  return deps_.engine.preflight(request);
}

}  // namespace smime::app
