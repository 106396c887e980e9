#include <spdlog/spdlog.h>

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

Handler bind(const Services& services, Response (*fn)(const Services&, const Call&)) {
  const Services* sp = &services;
  return [sp, fn](const Call& call) { return fn(*sp, call); };
}

Response audited(const Services& services, const Call& call, std::string_view operation,
                 const std::function<Response(audit::AuditEvent&)>& body) {
  audit::AuditEvent event;
  event.actor = call.actor();
  event.direction = audit::Direction::admin;
  event.operation = std::string(operation);
  Response response;
  try {
    response = body(event);
  } catch (const Error& e) {
    event.status = audit::Status::failed;
    event.detail = e.what();
    try {
      services.audit->record(event);
    } catch (const std::exception& audit_error) {
      spdlog::error("audit record of a failed {} lost: {}", operation, audit_error.what());
    }
    throw;
  }
  if (response.status >= 400) event.status = audit::Status::failed;
  services.audit->record(event);
  return response;
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

std::optional<std::string> json_optional_string(const Call& call, std::string_view field) {
  if (!call.json.is_object()) return std::nullopt;
  auto it = call.json.find(field);
  if (it == call.json.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    throw Error(ErrorCode::invalid_input, "'" + std::string(field) + "' must be a string");
  }
  return it->get<std::string>();
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
  if (!call.json.is_object()) return std::nullopt;
  auto it = call.json.find(field);
  if (it == call.json.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) {
    throw Error(ErrorCode::invalid_input, "'" + std::string(field) + "' must be true or false");
  }
  return it->get<bool>();
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
