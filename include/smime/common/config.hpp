// Configuration: built-in defaults that work with no file, then a TOML file, then SMIME_*
// environment overrides (SPEC §11).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace smime {

struct TokenSettings {
  std::string module;        // PKCS#11 module path
  std::string label;         // token label ("smime" for the dev token)
  std::string serial;        // alternative to label
  std::string pin;           // PIN source: file:/path, env:NAME or credential:NAME
  std::string softhsm_conf;  // SOFTHSM2_CONF for the dev token under the home directory
  int reinit_interval_ms = 1000;
};

// smimed ([server] in smime.toml). Paths default to files in the home directory.
struct ServerSettings {
  std::string listen_address = "127.0.0.1";
  int port = 8443;                              // 0: an ephemeral port (tests)
  std::size_t body_limit = 25UL * 1024 * 1024;  // bytes of one request body
  std::size_t header_limit = 16UL * 1024;       // bytes of the request line and headers (<= 65535)
  int read_timeout_s = 30;                      // headers and body of one request
  int handshake_timeout_s = 10;                 // TCP accept to the end of the TLS handshake
  int idle_timeout_s = 60;                      // keep-alive wait for the next request
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

struct AppConfig {
  std::filesystem::path home;
  std::filesystem::path config_file;  // empty when none was read
  TokenSettings token;
  ServerSettings server;
  std::string log_level = "warn";
};

// The file in the home directory naming the token `smimectl token init` made there: the
// default token label when the configuration names none.
inline constexpr const char* kDevTokenLabelFile = "token.label";

// --home, else $SMIME_HOME, else ./var (made absolute).
std::filesystem::path resolve_home(const std::optional<std::string>& flag);

// Reads `config_file` if given (it must exist), else <home>/smime.toml if it exists.
// Environment overrides: SMIME_PKCS11_MODULE, SMIME_TOKEN_LABEL, SMIME_TOKEN_SERIAL,
// SMIME_TOKEN_PIN (a PIN source, never the PIN), SMIME_LOG_LEVEL, SMIME_LISTEN_ADDRESS,
// SMIME_LISTEN_PORT.
// Throws Error(invalid_input) naming the file and key on a bad value.
AppConfig load_config(const std::filesystem::path& home,
                      const std::optional<std::filesystem::path>& config_file);

// Points SoftHSM2 at the dev token under home when that configuration exists.
void export_softhsm_conf(const AppConfig& config);

}  // namespace smime
