#include "smime/server/router.hpp"

namespace smime::server {

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  // Invalid UTF-8 from a certificate field must not make dump() throw.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response error_response(int status, std::string_view code, std::string_view message,
                        const nlohmann::json& details) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!details.is_null()) error["details"] = details;
  return json_response(status, {{"error", error}});
}

Response error_response(const Error& error) {
  Response r = error_response(http_status_for(error.code()), to_string(error.code()), error.what());
  r.error = error.code();
  return r;
}

Response no_content() {
  Response r;
  r.status = 204;
  return r;
}

int http_status_for(ErrorCode code) noexcept {
  // The node cannot work right now (a balancer should route around it), the request is fine.
  if (is_token_error(code) || is_storage_error(code)) return 503;
  switch (code) {
    case ErrorCode::usage:
    case ErrorCode::invalid_input:
      return 400;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::limit_exceeded:
      // Well-formed content that is larger (in parts, addresses, ...) than we process.
      return 413;
    case ErrorCode::bad_passphrase:
    case ErrorCode::unsupported:
    case ErrorCode::no_certificate:
      return 422;
    default:  // crypto, io, internal
      return 500;
  }
}

}  // namespace smime::server
