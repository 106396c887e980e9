// The one error type of the project: our code, the CK_RV of a failed token call and the
// drained OpenSSL error queue. Thrown inside the library; caught at the CLI's top level and at
// the boundary of every Beast handler and C callback.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace smime {

enum class ErrorCode {
  usage,                  // bad command line or argument
  invalid_input,          // input that cannot be parsed or violates a rule
  bad_passphrase,         // encrypted input and a wrong or missing passphrase
  not_found,              // object, key or file that does not exist
  conflict,               // duplicate or state conflict
  forbidden,              // refused by policy (e.g. exporting a non-exportable key)
  unsupported,            // algorithm or format we do not handle
  no_certificate,         // a certificate or key the operation needs is missing or unusable
  limit_exceeded,         // input within the size limit but over a count limit (parts, addresses)
  module_load,            // PKCS#11 module cannot be loaded
  token_not_found,        // no token with that label/serial
  token_not_initialized,  // token present but not initialised
  pin_source,             // PIN file/env/credential missing or unsafe
  pin_incorrect,          // the token rejected the PIN
  pin_locked,             // the token locked the PIN
  token_failure,          // any other token error
  crypto,                 // an OpenSSL operation failed
  io,                     // filesystem error
  storage_full,           // the database cannot grow: disk full or file size limit
  storage_read_only,      // the database (file, directory or filesystem) is not writable
  storage_busy,           // the database stayed locked longer than the busy timeout
  storage_failure,        // the database cannot be read or written (I/O error, damaged file)
  internal,
};

std::string_view to_string(ErrorCode code) noexcept;

// The token (module, PIN, device) failed: the operation may succeed once the token is back.
bool is_token_error(ErrorCode code) noexcept;
// A token error that says nothing about the data (device, connection, session, login, PIN,
// module, timeout): the request may succeed once the token is back (503). The codes a token may
// give for bad ciphertext (CKR_ENCRYPTED_DATA_INVALID, CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED,
// ...) are not: answering them apart from a failed decryption would be a padding oracle.
bool is_token_unavailable(const class Error& error) noexcept;
// The database cannot be used right now: the node is unavailable, not the request wrong.
bool is_storage_error(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, unsigned long ckr = 0,
        std::vector<std::string> openssl_errors = {});

  ErrorCode code() const noexcept { return code_; }
  // CK_RV of the failing token call, 0 (CKR_OK) when the error did not come from the token.
  unsigned long ckr() const noexcept { return ckr_; }
  const std::vector<std::string>& openssl_errors() const noexcept { return openssl_errors_; }
  // message plus the CK_RV name and OpenSSL reasons, for logs and --verbose output.
  std::string detail() const;

 private:
  ErrorCode code_;
  unsigned long ckr_;
  std::vector<std::string> openssl_errors_;
};

// Empties the calling thread's OpenSSL error queue into readable lines.
std::vector<std::string> drain_openssl_errors();

// Throws Error(code, message) carrying the drained OpenSSL error queue.
[[noreturn]] void throw_openssl(ErrorCode code, const std::string& message);

// Name of a CK_RV ("CKR_PIN_INCORRECT"), or its hex value when unknown.
std::string ckr_name(unsigned long rv);
// What a CK_RV means for an operator ("the device reported an internal failure"); empty when
// the name says it all.
std::string_view ckr_meaning(unsigned long rv) noexcept;

// C callbacks that OpenSSL calls (the token key's RSA and EC methods) cannot throw: they park
// the error for the calling thread and fail. throw_openssl() rethrows a parked error with its
// own message as context, so the CK_RV and the token's message reach the caller.
void park_callback_error(Error error) noexcept;
std::optional<Error> take_callback_error() noexcept;

}  // namespace smime
