// smimed's settings: the [server] table of smime.toml (listener, limits, threads and TLS
// identity), with defaults that need no file and SMIME_* environment overrides. smimectl
// never reads them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "smime/common/config.hpp"

namespace smime::server {

// Paths default to files in the home directory.
struct ServerSettings {
  std::string listen_address = "127.0.0.1";
  int port = 8443;                              // 0: an ephemeral port (tests)
  std::size_t body_limit = 25UL * 1024 * 1024;  // bytes of one request body
  // Bytes of one message to POST /api/v1/messages/incoming; 0: incoming_body_limit_for().
  std::size_t incoming_body_limit = 0;
  std::size_t header_limit = 16UL * 1024;  // bytes of the request line and headers (<= 65535)
  int read_timeout_s = 30;                 // headers and body of one request
  int handshake_timeout_s = 10;            // TCP accept to the end of the TLS handshake
  int idle_timeout_s = 60;                 // keep-alive wait for the next request
  int token_timeout_s = 30;                // a request's token/database work, then 503
  int max_connections = 256;
  int max_connections_per_address = 32;  // open connections from one client IP address
  int io_threads = 1;                    // TLS and HTTP parsing
  int worker_threads = 0;                // token and database work; 0: the number of cores
  int shutdown_grace_s = 30;             // in-flight requests get this long after SIGTERM
  std::string tls_key = "token";  // "token": key generated in the token; "file": PEM key file
  std::filesystem::path tls_certificate;  // default <home>/smimed-tls.pem
  std::filesystem::path tls_key_file;     // default <home>/smimed-tls.key (tls_key = "file")
  std::string tls_key_label = "smimed-tls";
  std::vector<std::string> tls_names = {"localhost", "127.0.0.1"};  // SANs of a new certificate
  // The admin web UI's files, served under /admin/ (default: the web/ directory of the source
  // tree smimed was built from; SMIME_WEB_ROOT overrides). Empty: no web UI.
  std::filesystem::path web_root;
};

// The bound on incoming messages: the configured one, else room for whatever outgoing made
// of a body of body_limit. Signing may base64-encode 8-bit parts and the envelope is base64
// again (at most 1.37 x 1.37 = 1.88 times the size), so 2 x body_limit + 1 MiB.
std::size_t incoming_body_limit_for(const ServerSettings& settings);

// The defaults for config.home, then the [server] table of config.config_file (when one was
// read), then SMIME_LISTEN_ADDRESS, SMIME_LISTEN_PORT and SMIME_WEB_ROOT. Throws
// Error(invalid_input) naming the file and key on a bad value.
ServerSettings load_server_settings(const AppConfig& config);

}  // namespace smime::server
