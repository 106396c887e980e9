#include "smime/common/error.hpp"

#include <openssl/err.h>
#include <p11-kit/pkcs11.h>

#include <cstdio>
#include <optional>

namespace smime {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::usage:
      return "usage";
    case ErrorCode::invalid_input:
      return "invalid_input";
    case ErrorCode::bad_passphrase:
      return "bad_passphrase";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::unsupported:
      return "unsupported";
    case ErrorCode::no_certificate:
      return "no_certificate";
    case ErrorCode::limit_exceeded:
      return "limit_exceeded";
    case ErrorCode::module_load:
      return "module_load";
    case ErrorCode::token_not_found:
      return "token_not_found";
    case ErrorCode::token_not_initialized:
      return "token_not_initialized";
    case ErrorCode::pin_source:
      return "pin_source";
    case ErrorCode::pin_incorrect:
      return "pin_incorrect";
    case ErrorCode::pin_locked:
      return "pin_locked";
    case ErrorCode::token_failure:
      return "token_failure";
    case ErrorCode::crypto:
      return "crypto";
    case ErrorCode::io:
      return "io";
    case ErrorCode::storage_full:
      return "storage_full";
    case ErrorCode::storage_read_only:
      return "storage_read_only";
    case ErrorCode::storage_busy:
      return "storage_busy";
    case ErrorCode::storage_failure:
      return "storage_failure";
    case ErrorCode::internal:
      return "internal";
  }
  return "internal";
}

bool is_token_error(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::module_load:
    case ErrorCode::token_not_found:
    case ErrorCode::token_not_initialized:
    case ErrorCode::pin_source:
    case ErrorCode::pin_incorrect:
    case ErrorCode::pin_locked:
    case ErrorCode::token_failure:
      return true;
    default:
      return false;
  }
}

bool is_token_unavailable(const Error& error) noexcept {
  if (!is_token_error(error.code())) return false;
  switch (error.ckr()) {
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
    case CKR_DATA_INVALID:
    case CKR_DATA_LEN_RANGE:
    case CKR_GENERAL_ERROR:
    case CKR_FUNCTION_FAILED:
    case CKR_ARGUMENTS_BAD:
    case CKR_MECHANISM_INVALID:
    case CKR_MECHANISM_PARAM_INVALID:
    case CKR_KEY_TYPE_INCONSISTENT:
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
      return false;
    default:
      return true;
  }
}

bool is_storage_error(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::storage_full:
    case ErrorCode::storage_read_only:
    case ErrorCode::storage_busy:
    case ErrorCode::storage_failure:
      return true;
    default:
      return false;
  }
}

Error::Error(ErrorCode code, const std::string& message, unsigned long ckr,
             std::vector<std::string> openssl_errors)
    : std::runtime_error(message),
      code_(code),
      ckr_(ckr),
      openssl_errors_(std::move(openssl_errors)) {}

std::string Error::detail() const {
  std::string out = what();
  if (ckr_ != CKR_OK && out.find(ckr_name(ckr_)) == std::string::npos) {
    out += " [" + ckr_name(ckr_) + "]";
  }
  for (const auto& line : openssl_errors_) out += "\n  openssl: " + line;
  return out;
}

std::vector<std::string> drain_openssl_errors() {
  std::vector<std::string> lines;
  const char* file = nullptr;
  const char* func = nullptr;
  const char* data = nullptr;
  int line = 0;
  int flags = 0;
  while (unsigned long e = ERR_get_error_all(&file, &line, &func, &data, &flags)) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    std::string text = buf;
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      text += " (";
      text += data;
      text += ")";
    }
    lines.push_back(std::move(text));
  }
  return lines;
}

namespace {
thread_local std::optional<Error> t_parked;
}  // namespace

void park_callback_error(Error error) noexcept {
  t_parked.emplace(std::move(error));
}

std::optional<Error> take_callback_error() noexcept {
  std::optional<Error> out = std::move(t_parked);
  t_parked.reset();
  return out;
}

void throw_openssl(ErrorCode code, const std::string& message) {
  std::vector<std::string> queue = drain_openssl_errors();
  if (std::optional<Error> parked = take_callback_error()) {
    throw Error(parked->code(), message + ": " + parked->what(), parked->ckr(), std::move(queue));
  }
  throw Error(code, message, CKR_OK, std::move(queue));
}

std::string_view ckr_meaning(unsigned long rv) noexcept {
  switch (rv) {
    case CKR_DEVICE_ERROR:
      return "the token reported a failure of the device or of its connection";
    case CKR_DEVICE_REMOVED:
      return "the token was removed or its connection was lost";
    case CKR_TOKEN_NOT_PRESENT:
      return "no token is present in the slot";
    case CKR_DEVICE_MEMORY:
      return "the token has run out of memory";
    case CKR_GENERAL_ERROR:
      return "the module failed in a way it could not recover from";
    case CKR_FUNCTION_FAILED:
      return "the token could not carry out the operation";
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
      return "the token closed the session";
    case CKR_SESSION_COUNT:
      return "the token allows no more open sessions";
    case CKR_USER_NOT_LOGGED_IN:
      return "the token's login was lost";
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return "the module was finalised (device reset)";
    case CKR_MECHANISM_INVALID:
      return "the token (or its network client) does not offer this mechanism";
    case CKR_KEY_HANDLE_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
      return "the key object no longer exists in the token";
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
    case CKR_KEY_TYPE_INCONSISTENT:
      return "the key may not be used for this operation";
    case CKR_TOKEN_NOT_RECOGNIZED:
      return "the token is not recognised (its store may be missing or unreadable)";
    case CKR_PIN_INCORRECT:
      return "the PIN is wrong";
    case CKR_PIN_LOCKED:
      return "the PIN is locked";
    case CKR_FUNCTION_CANCELED:
      return "the operation was cancelled (timeout)";
    default:
      return {};
  }
}

std::string ckr_name(unsigned long rv) {
  switch (rv) {
#define SMIME_CKR(name) \
  case name:            \
    return #name;
    SMIME_CKR(CKR_OK)
    SMIME_CKR(CKR_CANCEL)
    SMIME_CKR(CKR_HOST_MEMORY)
    SMIME_CKR(CKR_SLOT_ID_INVALID)
    SMIME_CKR(CKR_GENERAL_ERROR)
    SMIME_CKR(CKR_FUNCTION_FAILED)
    SMIME_CKR(CKR_ARGUMENTS_BAD)
    SMIME_CKR(CKR_ATTRIBUTE_READ_ONLY)
    SMIME_CKR(CKR_ATTRIBUTE_SENSITIVE)
    SMIME_CKR(CKR_ATTRIBUTE_TYPE_INVALID)
    SMIME_CKR(CKR_ATTRIBUTE_VALUE_INVALID)
    SMIME_CKR(CKR_DATA_INVALID)
    SMIME_CKR(CKR_DATA_LEN_RANGE)
    SMIME_CKR(CKR_DEVICE_ERROR)
    SMIME_CKR(CKR_DEVICE_MEMORY)
    SMIME_CKR(CKR_DEVICE_REMOVED)
    SMIME_CKR(CKR_ENCRYPTED_DATA_INVALID)
    SMIME_CKR(CKR_FUNCTION_NOT_SUPPORTED)
    SMIME_CKR(CKR_KEY_HANDLE_INVALID)
    SMIME_CKR(CKR_KEY_FUNCTION_NOT_PERMITTED)
    SMIME_CKR(CKR_FUNCTION_CANCELED)
    SMIME_CKR(CKR_KEY_TYPE_INCONSISTENT)
    SMIME_CKR(CKR_MECHANISM_INVALID)
    SMIME_CKR(CKR_MECHANISM_PARAM_INVALID)
    SMIME_CKR(CKR_OBJECT_HANDLE_INVALID)
    SMIME_CKR(CKR_OPERATION_ACTIVE)
    SMIME_CKR(CKR_OPERATION_NOT_INITIALIZED)
    SMIME_CKR(CKR_PIN_INCORRECT)
    SMIME_CKR(CKR_PIN_INVALID)
    SMIME_CKR(CKR_PIN_LEN_RANGE)
    SMIME_CKR(CKR_PIN_EXPIRED)
    SMIME_CKR(CKR_PIN_LOCKED)
    SMIME_CKR(CKR_SESSION_CLOSED)
    SMIME_CKR(CKR_SESSION_COUNT)
    SMIME_CKR(CKR_SESSION_HANDLE_INVALID)
    SMIME_CKR(CKR_SESSION_READ_ONLY)
    SMIME_CKR(CKR_SIGNATURE_INVALID)
    SMIME_CKR(CKR_SIGNATURE_LEN_RANGE)
    SMIME_CKR(CKR_TEMPLATE_INCOMPLETE)
    SMIME_CKR(CKR_TEMPLATE_INCONSISTENT)
    SMIME_CKR(CKR_TOKEN_NOT_PRESENT)
    SMIME_CKR(CKR_TOKEN_NOT_RECOGNIZED)
    SMIME_CKR(CKR_TOKEN_WRITE_PROTECTED)
    SMIME_CKR(CKR_USER_ALREADY_LOGGED_IN)
    SMIME_CKR(CKR_USER_NOT_LOGGED_IN)
    SMIME_CKR(CKR_USER_PIN_NOT_INITIALIZED)
    SMIME_CKR(CKR_USER_TYPE_INVALID)
    SMIME_CKR(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
    SMIME_CKR(CKR_BUFFER_TOO_SMALL)
    SMIME_CKR(CKR_CRYPTOKI_NOT_INITIALIZED)
    SMIME_CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED)
#undef SMIME_CKR
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "CKR_0x%08lx", rv);
      return buf;
    }
  }
}

}  // namespace smime
