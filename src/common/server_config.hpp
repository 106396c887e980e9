// The [server] table of smime.toml (smimed's listener, limits, threads and TLS identity).
#pragma once

#include <toml++/toml.h>

#include <filesystem>

#include "smime/common/config.hpp"

namespace smime {

// Fills the defaults that depend on the home directory.
void default_server_settings(const std::filesystem::path& home, ServerSettings& server);

// Reads [server] (when present); throws Error(invalid_input) naming the file and key.
void read_server_settings(const toml::table& root, const std::filesystem::path& file,
                          ServerSettings& server);

// SMIME_LISTEN_ADDRESS and SMIME_LISTEN_PORT.
void override_server_from_env(ServerSettings& server);

}  // namespace smime
