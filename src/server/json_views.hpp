// JSON shapes of the API's resources (documented in openapi.json). Field names follow
// smimectl --json so that scripts can move between the CLI and the API.
#pragma once

#include <nlohmann/json.hpp>

#include "smime/service/certificate_service.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/records.hpp"
#include "smime/token/key_store.hpp"

namespace smime::server::views {

nlohmann::json certificate(const store::CertificateRecord& record,
                           service::CertificateStatus status);
nlohmann::json import_report(const service::ImportReport& report);
nlohmann::json import_failures(const std::vector<service::ImportFailure>& failures);
nlohmann::json key(const KeyInfo& key);
nlohmann::json group(const store::GroupRecord& group);
nlohmann::json crl(const store::CrlRecord& crl);
nlohmann::json api_token(const store::ApiToken& token);

}  // namespace smime::server::views
