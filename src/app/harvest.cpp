// Certificate harvesting (issue 17 item 6): under [certificates] harvest, the signer
// certificate of a validly signed incoming message, and the intermediates of its validated
// chain that the message carried, are stored untrusted through the import rules, each audited.
#include <spdlog/spdlog.h>

#include <exception>

#include "audited.hpp"
#include "smime/app/messages.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "smime/service/json_views.hpp"

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

// Stores one certificate of the message untrusted with its certificate.harvest entry; the
// fingerprint stored, or empty (already stored, refused, or failed: logged and audited).
std::string harvest_one(const Dependencies& deps, const Caller& caller,
                        const engine::IncomingResult& result, const std::vector<unsigned char>& der,
                        const std::string& what, const std::string& subject,
                        const std::vector<std::string>& emails) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::certificate_harvest);
  event.message_id = result.message_id;
  event.addresses = emails;
  event.detail = what + " " + subject;
  std::string stored;
  try {
    detail::audited_change(deps.audit, event, [&](const audit::AuditSink::WriteEntry&) {
      // The import path with its S/MIME rules (and the legacy policy as configured); never a
      // trust anchor.
      const service::ImportReport report =
          deps.certificates.import_certificates(der, nullptr, false, false);
      if (report.imported.empty() && only_duplicates(report)) throw AlreadyStored{};
      if (report.imported.empty()) {
        throw Error(ErrorCode::invalid_input,
                    "The " + what + " was not stored: " + refusal_text(report));
      }
      const store::CertificateRecord& record = report.imported.front().record;
      event.fingerprints = {record.sha256};
      event.addresses = record.emails;
      event.detail = "stored untrusted from a signed message: " +
                     (what == "signer certificate" ? "" : what + " ") + record.subject;
      if (!record.legacy_rules.empty()) {
        event.detail += " (" + service::relaxed_rules_text(record.legacy_rules) + ")";
      }
      stored = record.sha256;
    });
  } catch (const AlreadyStored&) {
    return {};
  } catch (const std::exception& e) {
    // audited_change has recorded the failure; the message's own result stays as it is.
    spdlog::warn("certificate harvest ({}) from message {} failed: {}", what, result.message_id,
                 e.what());
    return {};
  }
  return stored;
}

}  // namespace

void MessageUseCases::harvest(const Caller& caller, engine::IncomingResult& result) {
  // Only the outermost signature counts, and only when it is valid: not expired, revoked,
  // unknown_signer, sender_mismatch or invalid.
  if (!result.signed_ || result.signature != engine::SignatureStatus::valid) return;
  if (result.signatures.empty() || result.signatures.front().status != result.signature) return;
  if (!result.signer || result.signer->der.empty()) return;
  const engine::SignerDetails& signer = *result.signer;
  if (!signer.stored) {
    result.harvested_certificate = harvest_one(deps_, caller, result, signer.der,
                                               "signer certificate", signer.subject, signer.emails);
    if (result.harvested_certificate.empty()) return;  // no contact certificate: no CAs either
  }
  // The intermediates between the signer and its anchor on the validated chain, not stored.
  for (const std::vector<unsigned char>& der : signer.unstored_intermediates) {
    std::string stored = harvest_one(deps_, caller, result, der, "intermediate CA certificate",
                                     "of " + signer.subject, {});
    if (!stored.empty()) result.harvested_intermediates.push_back(std::move(stored));
  }
}

}  // namespace smime::app
