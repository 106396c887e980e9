// How an audit entry is stored: list-valued fields as JSON text columns of audit_log.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smime/audit/audit_log.hpp"

namespace smime::audit::detail {

struct StoredRow;

// The columns of a StoredRow, in its order.
inline constexpr std::string_view kEntryColumns =
    "id, at_ms, actor, direction, operation, status, message_id, addresses, fingerprints, "
    "detail, needs, previous_hash, hash, signatures";

std::string encode_list(const std::vector<std::string>& items);
// `text` with every invalid UTF-8 sequence replaced by U+FFFD (so that it survives JSON
// output unchanged and the hash covers exactly what is stored and shown).
std::string valid_utf8(const std::string& text);

// Error(invalid_input) when a column does not decode (a row edited by hand).
std::vector<std::string> decode_list(std::string_view json);
AuditEntry decode_row(const StoredRow& row);
StoredRow encode_row(std::int64_t id, const AuditEvent& event, std::string previous_hash,
                     std::string hash);

}  // namespace smime::audit::detail
