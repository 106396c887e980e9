#include "entry_codec.hpp"

#include <nlohmann/json.hpp>

#include "audit_table.hpp"
#include "smime/common/error.hpp"

namespace smime::audit::detail {
namespace {

nlohmann::json parse_array(std::string_view text, std::string_view what) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) {
    throw Error(ErrorCode::invalid_input,
                "The audit entry's " + std::string(what) + " column is not a JSON array");
  }
  return parsed;
}

}  // namespace

std::string encode_list(const std::vector<std::string>& items) {
  // Invalid UTF-8 would make dump() throw; record() has made every item valid already.
  return nlohmann::json(items).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string valid_utf8(const std::string& text) {
  const std::string quoted =
      nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

std::vector<std::string> decode_list(std::string_view json) {
  std::vector<std::string> out;
  for (const auto& item : parse_array(json, "list")) {
    if (!item.is_string()) {
      throw Error(ErrorCode::invalid_input, "The audit entry's list holds a non-text item");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

AuditEntry decode_row(const StoredRow& row) {
  AuditEntry entry;
  entry.id = row.id;
  entry.event.at_ms = row.at_ms;
  entry.event.actor = row.actor;
  const auto parsed_direction = parse_direction(row.direction);
  const auto parsed_status = parse_status(row.status);
  if (!parsed_direction || !parsed_status) {
    throw Error(ErrorCode::invalid_input, "The audit entry has an unknown direction or status");
  }
  entry.event.direction = *parsed_direction;
  entry.event.operation = row.operation;
  entry.event.status = *parsed_status;
  entry.event.message_id = row.message_id;
  entry.event.addresses = decode_list(row.addresses);
  entry.event.fingerprints = decode_list(row.fingerprints);
  entry.event.detail = row.detail;
  entry.event.needs = decode_list(row.needs);
  entry.event.signatures = row.signatures;
  entry.previous_hash = row.previous_hash;
  entry.hash = row.hash;
  return entry;
}

StoredRow encode_row(std::int64_t id, const AuditEvent& event, std::string previous_hash,
                     std::string hash) {
  StoredRow row;
  row.id = id;
  row.at_ms = event.at_ms;
  row.actor = event.actor;
  row.direction = to_string(event.direction);
  row.operation = event.operation;
  row.status = to_string(event.status);
  row.message_id = event.message_id;
  row.addresses = encode_list(event.addresses);
  row.fingerprints = encode_list(event.fingerprints);
  row.detail = event.detail;
  row.needs = encode_list(event.needs);
  row.signatures = event.signatures;
  row.previous_hash = std::move(previous_hash);
  row.hash = std::move(hash);
  return row;
}

}  // namespace smime::audit::detail
