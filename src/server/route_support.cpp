#include <charconv>

#include "routes.hpp"

namespace smime::server::routes {

const std::vector<std::string>& certificate_media_types() {
  static const std::vector<std::string> types = {
      "application/x-pem-file",   "application/pem-certificate-chain",
      "application/pkix-cert",    "application/x-x509-ca-cert",
      "application/pkcs7-mime",   "application/x-pkcs7-certificates",
      "application/pkcs12",       "application/x-pkcs12",
      "application/octet-stream", "text/plain"};
  return types;
}

const std::vector<std::string>& key_media_types() {
  static const std::vector<std::string> types = {"application/x-pem-file", "application/pkcs8",
                                                 "application/octet-stream", "text/plain",
                                                 "application/json"};
  return types;
}

const std::vector<std::string>& crl_media_types() {
  static const std::vector<std::string> types = {"application/pkix-crl", "application/x-pem-file",
                                                 "application/octet-stream", "text/plain"};
  return types;
}

Handler bind(const ApiContext& context, Response (*fn)(const ApiContext&, const Call&)) {
  const ApiContext* cp = &context;
  return [cp, fn](const Call& call) { return fn(*cp, call); };
}

app::Caller caller_of(const Call& call) {
  return app::Caller{call.actor()};
}

std::span<const unsigned char> body_bytes(const Call& call) {
  const std::string& body = call.request.body;
  return {reinterpret_cast<const unsigned char*>(body.data()), body.size()};
}

std::optional<SecretString> passphrase_of(const Call& call) {
  if (auto header = call.request.headers.get("X-Passphrase")) return SecretString(*header);
  if (call.json.is_object() && call.json.contains("passphrase")) {
    const auto& value = call.json["passphrase"];
    if (!value.is_string()) {
      throw Error(ErrorCode::invalid_input, "'passphrase' must be a string");
    }
    return SecretString(value.get_ref<const std::string&>());
  }
  return std::nullopt;
}

namespace {

// The field's value, or null when the body has no such field (or no object at all).
const nlohmann::json* field_of(const Call& call, std::string_view field) {
  if (!call.json.is_object()) return nullptr;
  auto it = call.json.find(field);
  if (it == call.json.end() || it->is_null()) return nullptr;
  return &*it;
}

Error field_error(std::string_view field, std::string_view must) {
  return Error(ErrorCode::invalid_input, "'" + std::string(field) + "' must " + std::string(must));
}

}  // namespace

std::optional<std::string> json_optional_string(const Call& call, std::string_view field) {
  const nlohmann::json* value = field_of(call, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) throw field_error(field, "be a string");
  return value->get<std::string>();
}

std::string json_string(const Call& call, std::string_view field) {
  if (!call.json.is_object()) {
    throw Error(ErrorCode::invalid_input, "A JSON object body is required");
  }
  auto value = json_optional_string(call, field);
  if (!value || value->empty()) {
    throw Error(ErrorCode::invalid_input, "'" + std::string(field) + "' is required");
  }
  return *value;
}

std::optional<bool> json_optional_bool(const Call& call, std::string_view field) {
  const nlohmann::json* value = field_of(call, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) throw field_error(field, "be true or false");
  return value->get<bool>();
}

std::optional<std::int64_t> json_optional_integer(const Call& call, std::string_view field,
                                                  std::int64_t low, std::int64_t high) {
  const nlohmann::json* value = field_of(call, field);
  if (value == nullptr) return std::nullopt;
  const std::string range =
      "be a number from " + std::to_string(low) + " to " + std::to_string(high);
  if (!value->is_number_integer()) throw field_error(field, range);
  const auto number = value->get<std::int64_t>();
  if (number < low || number > high) throw field_error(field, range);
  return number;
}

std::vector<std::string> json_string_list(const Call& call, std::string_view field) {
  const nlohmann::json* value = field_of(call, field);
  if (value == nullptr) return {};
  if (value->is_string()) return {value->get<std::string>()};
  if (!value->is_array()) throw field_error(field, "be a list of strings");
  std::vector<std::string> out;
  for (const auto& item : *value) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      throw field_error(field, "be a list of non-empty strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::int64_t query_integer(const Call& call, std::string_view name, std::int64_t fallback,
                           std::int64_t low, std::int64_t high) {
  const std::string text = call.query(name);
  if (text.empty()) return fallback;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    throw Error(ErrorCode::invalid_input, "'" + std::string(name) + "' must be a number from " +
                                              std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

Response download(std::string body, std::string content_type, const std::string& filename) {
  Response r;
  r.status = 200;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.headers.add("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  return r;
}

}  // namespace smime::server::routes
