#include "smime/server/server_settings.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <string>

#include "smime/common/error.hpp"

namespace smime::server {
namespace {

[[noreturn]] void bad(const std::filesystem::path& file, std::string_view key,
                      std::string_view what) {
  throw Error(ErrorCode::invalid_input,
              file.string() + ": [server] '" + std::string(key) + "' " + std::string(what));
}

template <class T>
void read_int(const toml::table& table, std::string_view key, T& out, long long min, long long max,
              const std::filesystem::path& file) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  auto value = node->value<int64_t>();
  if (!value) bad(file, key, "must be an integer");
  if (*value < min || *value > max) {
    bad(file, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  out = static_cast<T>(*value);
}

void read_text(const toml::table& table, std::string_view key, std::string& out,
               const std::filesystem::path& file) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  auto value = node->value<std::string>();
  if (!value) bad(file, key, "must be a string");
  out = *value;
}

void read_path(const toml::table& table, std::string_view key, std::filesystem::path& out,
               const std::filesystem::path& file) {
  std::string text;
  read_text(table, key, text, file);
  if (!text.empty()) out = text;
}

void default_server_settings(const std::filesystem::path& home, ServerSettings& server) {
  server.tls_certificate = home / "smimed-tls.pem";
  server.tls_key_file = home / "smimed-tls.key";
  server.web_root = SMIME_DEFAULT_WEB_ROOT;
}

// Reads [server] (when present).
void read_server_settings(const toml::table& root, const std::filesystem::path& file,
                          ServerSettings& server) {
  const toml::table* table = root["server"].as_table();
  if (table == nullptr) return;
  constexpr long long kMaxBytes = 1LL << 32;
  constexpr long long kMaxHeaderLimit = 65535;
  read_text(*table, "listen", server.listen_address, file);
  read_int(*table, "port", server.port, 0, 65535, file);
  read_int(*table, "body_limit", server.body_limit, 1024, kMaxBytes, file);
  read_int(*table, "incoming_body_limit", server.incoming_body_limit, 1024, 2 * kMaxBytes, file);
  // One header field of Beast's parser holds at most 65,535 bytes; a larger limit would let a
  // client send a field the parser cannot store.
  read_int(*table, "header_limit", server.header_limit, 1024, kMaxHeaderLimit, file);
  read_int(*table, "read_timeout_s", server.read_timeout_s, 1, 3600, file);
  read_int(*table, "handshake_timeout_s", server.handshake_timeout_s, 1, 3600, file);
  read_int(*table, "token_timeout_s", server.token_timeout_s, 0, 3600, file);
  read_int(*table, "idle_timeout_s", server.idle_timeout_s, 1, 3600, file);
  read_int(*table, "max_connections", server.max_connections, 1, 100000, file);
  read_int(*table, "max_connections_per_address", server.max_connections_per_address, 1, 100000,
           file);
  if (server.handshake_timeout_s > server.read_timeout_s) {
    if (table->get("handshake_timeout_s") != nullptr) {
      bad(file, "handshake_timeout_s", "must not be longer than read_timeout_s");
    }
    server.handshake_timeout_s = server.read_timeout_s;  // the default, under a short read timeout
  }
  if (server.max_connections_per_address > server.max_connections) {
    if (table->get("max_connections_per_address") != nullptr) {
      bad(file, "max_connections_per_address", "must not be larger than max_connections");
    }
    server.max_connections_per_address = server.max_connections;
  }
  read_int(*table, "io_threads", server.io_threads, 1, 64, file);
  read_int(*table, "worker_threads", server.worker_threads, 0, 256, file);
  read_int(*table, "shutdown_grace_s", server.shutdown_grace_s, 0, 3600, file);
  read_text(*table, "tls_key", server.tls_key, file);
  if (server.tls_key != "token" && server.tls_key != "file") {
    bad(file, "tls_key", "must be \"token\" or \"file\"");
  }
  read_path(*table, "tls_certificate", server.tls_certificate, file);
  read_path(*table, "tls_key_file", server.tls_key_file, file);
  read_text(*table, "tls_key_label", server.tls_key_label, file);
  read_path(*table, "web_root", server.web_root, file);
  if (const toml::array* names = (*table)["tls_names"].as_array()) {
    server.tls_names.clear();
    for (const toml::node& n : *names) {
      auto name = n.value<std::string>();
      if (!name || name->empty()) bad(file, "tls_names", "must be a list of host names");
      server.tls_names.push_back(*name);
    }
  }
}

// SMIME_WEB_ROOT, SMIME_LISTEN_ADDRESS and SMIME_LISTEN_PORT.
void override_server_from_env(ServerSettings& server) {
  if (const char* web_root = std::getenv("SMIME_WEB_ROOT"); web_root != nullptr) {
    server.web_root = web_root;
  }
  if (const char* address = std::getenv("SMIME_LISTEN_ADDRESS"); address && *address) {
    server.listen_address = address;
  }
  if (const char* port = std::getenv("SMIME_LISTEN_PORT"); port && *port) {
    char* end = nullptr;
    const long value = std::strtol(port, &end, 10);
    if (*end != '\0' || value < 0 || value > 65535) {
      throw Error(ErrorCode::invalid_input, "SMIME_LISTEN_PORT must be a port number");
    }
    server.port = static_cast<int>(value);
  }
}

}  // namespace

ServerSettings load_server_settings(const AppConfig& config) {
  ServerSettings server;
  default_server_settings(config.home, server);
  if (!config.config_file.empty()) {
    toml::table root;
    try {
      root = toml::parse_file(config.config_file.string());
    } catch (const toml::parse_error& e) {
      throw Error(ErrorCode::invalid_input,
                  config.config_file.string() + ": " + std::string(e.description()));
    }
    read_server_settings(root, config.config_file, server);
  }
  override_server_from_env(server);
  return server;
}

std::size_t incoming_body_limit_for(const ServerSettings& settings) {
  if (settings.incoming_body_limit != 0) return settings.incoming_body_limit;
  return 2 * settings.body_limit + 1024 * 1024;
}

}  // namespace smime::server
