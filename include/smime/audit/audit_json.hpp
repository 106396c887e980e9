// JSON views of audit entries and verification reports, shared by smimectl (--json) and
// smimed (GET /api/v1/logs), so both show the same fields.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "smime/audit/audit_log.hpp"

namespace smime::audit {

// {"id", "time" (ISO 8601 UTC with milliseconds), "at_ms", "actor", "direction", "operation",
//  "status", "message_id", "addresses", "fingerprints", "detail", "needs", "retryable",
//  "hash", "previous_hash"}
nlohmann::json to_json(const AuditEntry& entry);

// {"intact", "entries", "last_id", "head_hash"} plus, when broken, {"problem", "broken_id",
//  "reason"}
nlohmann::json to_json(const VerifyReport& report);

// "2024-05-01T12:00:00.123Z"
std::string iso_time(std::int64_t unix_ms);

}  // namespace smime::audit
