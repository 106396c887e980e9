// Where the token's user PIN comes from: a 0600 file, an environment variable or the systemd
// credential directory. Never the command line, never logged, never stored. The PIN is read
// on demand and wiped as soon as the login is done.
#pragma once

#include <string>

#include "smime/common/secure_buffer.hpp"

namespace smime::pkcs11 {

class PinSource {
 public:
  enum class Kind { file, env, credential };

  // "file:/path", "env:NAME" or "credential:NAME" ($CREDENTIALS_DIRECTORY/NAME).
  // A bare absolute path means file:. Throws Error(pin_source) on anything else.
  static PinSource parse(const std::string& spec);
  static PinSource from_file(std::string path) { return {Kind::file, std::move(path)}; }

  // Reads the PIN. Throws Error(pin_source) when the file is missing, readable by group or
  // others (naming the file), the variable unset, or the PIN empty.
  SecretString read() const;

  // Text safe for logs and status output ("file:/var/user.pin", "env:SMIME_PIN").
  std::string describe() const;
  Kind kind() const noexcept { return kind_; }
  const std::string& location() const noexcept { return location_; }

 private:
  PinSource(Kind kind, std::string location) : kind_(kind), location_(std::move(location)) {}
  Kind kind_;
  std::string location_;
};

// Reads a secret file (PIN or passphrase): refuses files that group or others can read.
SecretString read_secret_file(const std::string& path);

}  // namespace smime::pkcs11
