// The audit log's hash chain: SHA-256 over a canonical encoding of one entry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "smime/audit/audit_sink.hpp"

namespace smime::audit::detail {

// Canonical, unambiguous bytes of an entry: a version tag, then every field in a fixed order,
// integers as 8-byte big-endian, texts as 8-byte big-endian length + bytes, lists as count +
// items; the previous hash last.
std::string canonical_encoding(std::int64_t id, const AuditEvent& event,
                               std::string_view previous_hash);

// Lowercase hex SHA-256 of canonical_encoding().
std::string entry_hash(std::int64_t id, const AuditEvent& event, std::string_view previous_hash);

}  // namespace smime::audit::detail
