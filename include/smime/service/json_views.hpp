// The JSON shapes of certificates, import reports and token keys: one definition for
// `smimectl --json` and the HTTPS API, so scripts can move between the two.
#pragma once

#include <nlohmann/json.hpp>

#include "smime/service/certificate_service.hpp"
#include "smime/store/records.hpp"
#include "smime/token/key_store.hpp"

namespace smime::service {

nlohmann::json to_json(const store::CertificateRecord& record, CertificateStatus status);
nlohmann::json to_json(const ImportFailure& failure);
// {"imported": [...], "present": [...], "errors": [...]}; each imported or present entry has
// "legacy", "legacy_rules" and, for a legacy certificate, "relaxed" (relaxed_rules_text).
nlohmann::json to_json(const ImportReport& report);
// "accepted under the legacy-certificate policy (key_usage: no Key Usage extension, ...)".
std::string relaxed_rules_text(const std::vector<std::string>& rules);
nlohmann::json to_json(const KeyInfo& key);

}  // namespace smime::service
