// The one JSON view of each use-case result, for `smimectl --json` and the HTTPS API alike (the
// OpenAPI file documents them). Results that are library types have their view beside them:
// service::to_json (certificates, import reports, keys), engine::to_json (message results),
// audit::to_json (entries, verification), pkcs11::to_json (token status).
#pragma once

#include <nlohmann/json.hpp>

#include "smime/app/use_cases.hpp"

namespace smime::app {

// {"name", "email", "default", "created_at", "updated_at"}
nlohmann::json to_json(const store::GroupRecord& group);
// {"id", "issuer", "issuer_fingerprint", "this_update", "next_update", "crl_number",
//  "imported_at"}
nlohmann::json to_json(const store::CrlRecord& crl);
// {"id", "name", "role", "created_at", "last_used_at", "revoked_at", "revoked"}
nlohmann::json to_json(const store::ApiToken& token);
// The token plus "secret" (shown once).
nlohmann::json to_json(const store::CreatedApiToken& created);
// The certificate's view plus "chain_trusted" (and "chain_error" when not).
nlohmann::json to_json(const CertificateDetails& details);
nlohmann::json to_json(const CertificateListing& listing);
// {"key": {...}, "csr_pem"?, "certificate_fingerprint"?, "certificate_pem"?}
nlohmann::json to_json(const GeneratedKey& generated);
// {"certificates": [fingerprints], "token_key_id", "exportable"}
nlohmann::json to_json(const ImportedKey& imported);
// {"deleted": fingerprint, "key_deleted"}
nlohmann::json to_json(const DeletedCertificate& deleted);
// {"entries": [...], "total": n or null, "more"}
nlohmann::json to_json(const LogPage& page);
// {"status": "ok"|"unavailable", "checks": {"token": {"ok", "detail"}, ...}}; without
// details only {"status"} (what a stranger may know).
nlohmann::json to_json(const Health& health, bool details);
// {"source", "source_schema_version", "target_schema_version", "tables": {"certificates": n,
//  ...}, "revision", "audit_head": {"sqlite": {"id", "hash", "entries"}, "postgresql": {...}}}
nlohmann::json to_json(const DatabaseCopy& copy);

}  // namespace smime::app
