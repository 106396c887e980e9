// The development/demo token: a SoftHSM2 token stored under the home directory, with random
// user and SO PINs written to 0600 files there (SPEC §13 `smimectl token init`).
#pragma once

#include <filesystem>
#include <string>

#include "smime/common/secure_buffer.hpp"

namespace smime::provisioning {

struct DevToken {
  std::string label;
  std::string serial;
  std::filesystem::path softhsm_conf;
  std::filesystem::path user_pin_file;
  std::filesystem::path so_pin_file;
};

// Creates <home>/softhsm2.conf, <home>/tokens/, <home>/user.pin and <home>/so.pin, points
// SOFTHSM2_CONF at it, initialises the token and records its label in <home>/token.label
// (the configuration's default label, see load_config). Throws Error(conflict) when home
// already has a dev token. Must run before the SoftHSM module is first loaded in this process.
DevToken init_dev_token(const std::filesystem::path& home, const std::string& label,
                        const std::string& module_path);

// Initialises the first uninitialised token of any module: C_InitToken with the SO PIN, then
// C_InitPIN for the user. Returns the new token's serial.
std::string initialize_token(const std::string& module_path, const std::string& label,
                             const SecretString& so_pin, const SecretString& user_pin);

// A random PIN of `length` characters from an unambiguous alphabet.
SecretString random_pin(std::size_t length);

// Writes a secret to a new file with mode 0600 (fails if the file exists).
void write_secret_file(const std::filesystem::path& path, const SecretString& secret);

}  // namespace smime::provisioning
