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
  Response r = json_response(status, {{"error", error}});
  r.error_code = code;
  return r;
}

Response error_response(const Error& error) {
  return error_response(http_status_for(error.code()), to_string(error.code()), error.what());
}

Response no_content() {
  Response r;
  r.status = 204;
  return r;
}

int http_status_for(ErrorCode code) noexcept {
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
    case ErrorCode::module_load:
    case ErrorCode::token_not_found:
    case ErrorCode::token_not_initialized:
    case ErrorCode::pin_source:
    case ErrorCode::pin_incorrect:
    case ErrorCode::pin_locked:
    case ErrorCode::token_failure:
    // The node cannot work right now (a balancer should route around it), the request is fine.
    case ErrorCode::storage_full:
    case ErrorCode::storage_read_only:
    case ErrorCode::storage_busy:
    case ErrorCode::storage_failure:
      return 503;
    case ErrorCode::crypto:
    case ErrorCode::io:
    case ErrorCode::internal:
      return 500;
  }
  return 500;
}

}  // namespace smime::server
