#include "smime/audit/audit_json.hpp"

#include <cstdio>
#include <ctime>

#include "smime/common/clock.hpp"

namespace smime::audit {

std::string iso_time(std::int64_t unix_ms) {
  return iso8601_ms(unix_ms);
}

nlohmann::json to_json(const AuditEntry& entry) {
  const AuditEvent& e = entry.event;
  // The signature layers as recorded (a JSON array); [] for entries without any.
  nlohmann::json signatures =
      e.signatures.empty()
          ? nlohmann::json::array()
          : nlohmann::json::parse(e.signatures, nullptr, /*allow_exceptions=*/false);
  if (!signatures.is_array()) signatures = nlohmann::json::array();
  return {{"id", entry.id},
          {"time", iso_time(e.at_ms)},
          {"at_ms", e.at_ms},
          {"actor", e.actor},
          {"direction", std::string(to_string(e.direction))},
          {"operation", e.operation},
          {"status", std::string(to_string(e.status))},
          {"message_id", e.message_id},
          {"addresses", e.addresses},
          {"fingerprints", e.fingerprints},
          {"detail", e.detail},
          {"needs", e.needs},
          {"signatures", std::move(signatures)},
          {"retryable", entry.retryable},
          {"hash", entry.hash},
          {"previous_hash", entry.previous_hash}};
}

nlohmann::json to_json(const VerifyReport& report) {
  nlohmann::json out = {{"intact", report.intact},
                        {"entries", report.entries},
                        {"last_id", report.last_id},
                        {"head_hash", report.head_hash}};
  if (!report.intact) {
    out["problem"] = std::string(to_string(report.problem));
    out["broken_id"] = report.broken_id;
    out["reason"] = report.reason;
  }
  return out;
}

}  // namespace smime::audit
