#include "entry_codec.hpp"

#include <nlohmann/json.hpp>

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

AuditEntry read_entry(const sqlite::Statement& row) {
  AuditEntry entry;
  entry.id = row.int64(0);
  entry.event.at_ms = row.int64(1);
  entry.event.actor = row.text(2);
  const std::string direction = row.text(3);
  const std::string status = row.text(5);
  const auto parsed_direction = parse_direction(direction);
  const auto parsed_status = parse_status(status);
  if (!parsed_direction || !parsed_status) {
    throw Error(ErrorCode::invalid_input, "The audit entry has an unknown direction or status");
  }
  entry.event.direction = *parsed_direction;
  entry.event.operation = row.text(4);
  entry.event.status = *parsed_status;
  entry.event.message_id = row.text(6);
  entry.event.addresses = decode_list(row.text(7));
  entry.event.fingerprints = decode_list(row.text(8));
  entry.event.detail = row.text(9);
  entry.event.needs = decode_list(row.text(10));
  entry.previous_hash = row.text(11);
  entry.hash = row.text(12);
  return entry;
}

}  // namespace smime::audit::detail
