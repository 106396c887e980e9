// Capabilities announced in verified signed mail (issue 17 item 5): the SMIMECapabilities of
// each signature layer whose signature and chain verified are recorded for the signer's
// certificate when it is stored (and its key is not in the token); the engine chooses
// outgoing ciphers from them.
#include <spdlog/spdlog.h>

#include <exception>

#include "audited.hpp"
#include "smime/app/messages.hpp"
#include "smime/audit/operations.hpp"
#include "smime/store/records.hpp"

namespace smime::app {
namespace {

// The announcement equals what is recorded, or is older: nothing written, nothing audited.
struct Unchanged {};

// A signature that verified: intact, chained to an anchor, not revoked, not refused by policy.
bool verified(const engine::SignatureLayer& layer) {
  if (!layer.signer || layer.signer->capabilities.empty()) return false;
  if (layer.checks.integrity.status != "valid" || layer.checks.chain.status != "valid") {
    return false;
  }
  return layer.status == engine::SignatureStatus::valid ||
         layer.status == engine::SignatureStatus::sender_mismatch ||
         layer.status == engine::SignatureStatus::expired;
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

void MessageUseCases::record_capabilities(const Caller& caller, engine::IncomingResult& result) {
  for (const engine::SignatureLayer& layer : result.signatures) {
    if (!verified(layer)) continue;
    const engine::SignerDetails& signer = *layer.signer;
    // The common case, the same announcement again, is a read only (no write transaction).
    if (const auto recorded = deps_.store.capabilities(signer.fingerprint);
        recorded && (recorded->capabilities == signer.capabilities ||
                     recorded->signing_time > signer.signing_time)) {
      continue;
    }
    // The appliance's own certificates announce what its signatures do (cipher_choice.hpp).
    if (const auto stored = deps_.store.certificate(signer.fingerprint);
        !stored || stored->token_key_id) {
      continue;
    }
    store::CapabilitiesRecord record;
    record.sha256 = signer.fingerprint;
    record.capabilities = signer.capabilities;
    record.signing_time = signer.signing_time;
    record.message_id = result.message_id;
    audit::AuditEvent event =
        detail::admin_event(caller, audit::operation::certificate_capabilities);
    event.message_id = result.message_id;
    event.fingerprints = {signer.fingerprint};
    event.addresses = signer.emails;
    event.detail = "announced in a verified signed message: " + joined(signer.capabilities);
    try {
      detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
        // Not stored, the same list, or an older signing time than the recorded one.
        if (!deps_.store.record_capabilities(record)) throw Unchanged{};
      });
      result.capabilities_recorded.push_back(signer.fingerprint);
    } catch (const Unchanged&) {
    } catch (const std::exception& e) {
      spdlog::warn("recording the capabilities of {} from message {} failed: {}",
                   signer.fingerprint, result.message_id, e.what());
    }
  }
}

}  // namespace smime::app
