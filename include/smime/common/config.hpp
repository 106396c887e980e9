// Configuration: built-in defaults that work with no file, then a TOML file, then SMIME_*
// environment overrides (SPEC §11).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace smime {

struct TokenSettings {
  std::string module;        // PKCS#11 module path
  std::string label;         // token label ("smime" for the dev token)
  std::string serial;        // alternative to label
  std::string pin;           // PIN source: file:/path, env:NAME or credential:NAME
  std::string softhsm_conf;  // SOFTHSM2_CONF for the dev token under the home directory
  int reinit_interval_ms = 1000;
  int max_sessions = 32;                 // the session pool's bound (also below the token's own)
  int session_wait_ms = 10000;           // a request waits this long for a free session, then 503
  int recycle_after_derivations = 5000;  // re-initialise the module after that many C_DeriveKey
};

// Where certificates, groups, CRLs, API tokens and the audit log live.
struct StoreSettings {
  // Empty: the embedded SQLite file <home>/smime.db. "postgresql://..." (or "postgres://"):
  // a PostgreSQL database shared by several nodes. Keep passwords out of it (a libpq
  // passfile, PGPASSFILE, or peer authentication on a Unix socket).
  std::string url;
  int pool_size = 8;  // PostgreSQL connections per process
  bool postgres() const { return !url.empty(); }
};

// How incoming signatures are judged ([verification]).
struct VerificationSettings {
  bool reject_sha1 = false;      // SHA-1 signatures are invalid (else valid with weak_algorithm)
  bool revocation_hard = false;  // revocation = "hard": unknown revocation status is invalid
  // leaf_validity = "signing_time": the signer's certificate is judged at the message's
  // signingTime attribute (CAs still at verification time); "now" (the default): today.
  bool leaf_at_signing_time = false;
};

// Online revocation ([revocation], issue 16): CRLs fetched from the certificates' http://
// distribution points and cached in the store, OCSP asked first where the AIA names a
// responder; both bounded, and a URL that failed is not asked again for a while.
struct RevocationFetchSettings {
  bool fetch = true;                     // fetch CRLs (and refresh fetched ones before nextUpdate)
  bool ocsp = true;                      // ask OCSP responders
  int refresh_margin_s = 3600;           // fetch again this long before a fetched CRL's nextUpdate
  int refresh_interval_s = 60;           // smimed's refresher looks this often
  int timeout_ms = 5000;                 // one whole HTTP exchange (connect, send, read)
  int max_crl_bytes = 20 * 1024 * 1024;  // also the bound of an OCSP response
  int failure_backoff_s = 60;            // a URL that failed waits this long, doubled each time
  int max_backoff_s = 3600;              // up to this
};

// How certificates are judged on import (issue 17).
struct CertificateSettings {
  // The legacy-certificate policy: the subject DN's emailAddress counts when the SAN has no
  // rfc822Name, and no Key Usage extension means every usage. Off by default.
  bool legacy = false;
  // Certificate harvesting: the signer certificate of a validly signed incoming message is
  // stored as an untrusted contact certificate (when the import rules accept it), so that a
  // reply can be encrypted. Off by default.
  bool harvest = false;
};

// How outgoing mail is encrypted ([encryption], issue 17 item 5). "auto" (the default) chooses
// from what the recipients announced: AES-GCM only when every recipient announced it, else
// AES-256-CBC; RSA-OAEP only for a recipient that announced it, else PKCS#1 v1.5. Any other
// value forces that algorithm for every message (a request's own choice still wins).
struct EncryptionSettings {
  std::string cipher = "auto";         // auto | aes-256-cbc | aes-128-gcm | aes-256-gcm
  std::string key_transport = "auto";  // auto | rsa-pkcs1 | rsa-oaep-sha1 | rsa-oaep-sha256
};

// What both front ends read. smimed's own [server] table is read by the server library
// (smime/server/server_settings.hpp) from config_file.
struct AppConfig {
  std::filesystem::path home;
  std::filesystem::path config_file;  // empty when none was read
  TokenSettings token;
  StoreSettings store;
  VerificationSettings verification;
  RevocationFetchSettings revocation;
  CertificateSettings certificates;
  EncryptionSettings encryption;
  std::string log_level = "warn";
};

// The file in the home directory naming the token `smimectl token init` made there: the
// default token label when the configuration names none.
inline constexpr const char* kDevTokenLabelFile = "token.label";

// --home, else $SMIME_HOME, else ./var (made absolute).
std::filesystem::path resolve_home(const std::optional<std::string>& flag);

// Reads `config_file` if given (it must exist), else <home>/smime.toml if it exists.
// Environment overrides: SMIME_PKCS11_MODULE, SMIME_TOKEN_LABEL, SMIME_TOKEN_SERIAL,
// SMIME_TOKEN_PIN (a PIN source, never the PIN), SMIME_STORE_URL, SMIME_LOG_LEVEL,
// SMIME_CERTIFICATES_LEGACY (true/false, 1/0, yes/no).
// Throws Error(invalid_input) naming the file and key on a bad value.
AppConfig load_config(const std::filesystem::path& home,
                      const std::optional<std::filesystem::path>& config_file);

// Points SoftHSM2 at the dev token under home when that configuration exists.
void export_softhsm_conf(const AppConfig& config);

}  // namespace smime
