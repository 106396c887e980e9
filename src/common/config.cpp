#include "smime/common/config.hpp"

#include <stdlib.h>
#include <toml++/toml.h>

#include <cstdlib>
#include <fstream>
#include <initializer_list>

#include "smime/common/error.hpp"

namespace smime {
namespace {

// An integer setting within [min, max]; anything else is refused naming the file and key.
void read_bounded(const toml::table& table, const char* key, int& out, std::int64_t min,
                  std::int64_t max, const std::filesystem::path& file,
                  const char* table_name = "token") {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  const std::optional<std::int64_t> value = node->value<std::int64_t>();
  if (!value || *value < min || *value > max) {
    throw Error(ErrorCode::invalid_input, file.string() + ": [" + table_name + "] " + key +
                                              " must be an integer from " + std::to_string(min) +
                                              " to " + std::to_string(max));
  }
  out = static_cast<int>(*value);
}

void override_from_env(std::string& value, const char* name) {
  const char* env = std::getenv(name);
  if (env != nullptr && *env != '\0') value = env;
}

void read_string(const toml::table& table, std::string_view key, std::string& out,
                 const std::filesystem::path& file) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  auto value = node->value<std::string>();
  if (!value) {
    throw Error(ErrorCode::invalid_input,
                file.string() + ": '" + std::string(key) + "' must be a string");
  }
  out = *value;
}

// The label `smimectl token init` recorded in the home directory, if any.
std::optional<std::string> remembered_label(const std::filesystem::path& home) {
  std::ifstream in(home / kDevTokenLabelFile);
  std::string label;
  if (!in || !std::getline(in, label)) return std::nullopt;
  while (!label.empty() && (label.back() == '\r' || label.back() == ' ')) label.pop_back();
  if (label.empty()) return std::nullopt;
  return label;
}

// The store is SQLite (no URL) or PostgreSQL; anything else is a typo that must not silently
// become the embedded file.
void check_store_url(const std::string& url, const std::string& source) {
  if (url.empty() || url.starts_with("postgresql://") || url.starts_with("postgres://")) return;
  throw Error(ErrorCode::invalid_input,
              source +
                  ": [store] url must be empty (SQLite in the home directory) or a "
                  "postgresql:// URL");
}

void read_boolean(const toml::table& table, std::string_view key, bool& out,
                  const std::filesystem::path& file) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return;
  auto value = node->value<bool>();
  if (!value) {
    throw Error(ErrorCode::invalid_input,
                file.string() + ": '" + std::string(key) + "' must be true or false");
  }
  out = *value;
}

void boolean_from_env(bool& value, const char* name) {
  const char* env = std::getenv(name);
  if (env == nullptr || *env == '\0') return;
  const std::string text = env;
  if (text == "true" || text == "1" || text == "yes") {
    value = true;
  } else if (text == "false" || text == "0" || text == "no") {
    value = false;
  } else {
    throw Error(ErrorCode::invalid_input,
                std::string(name) + " must be true or false (1/0, yes/no), not '" + text + "'");
  }
}

void read_revocation(const toml::table& table, RevocationFetchSettings& out,
                     const std::filesystem::path& file) {
  read_boolean(table, "fetch", out.fetch, file);
  read_boolean(table, "ocsp", out.ocsp, file);
  constexpr const char* kTable = "revocation";
  read_bounded(table, "refresh_margin_s", out.refresh_margin_s, 0, 30 * 86400, file, kTable);
  read_bounded(table, "refresh_interval_s", out.refresh_interval_s, 1, 86400, file, kTable);
  read_bounded(table, "timeout_ms", out.timeout_ms, 100, 60000, file, kTable);
  read_bounded(table, "max_crl_bytes", out.max_crl_bytes, 1024, 256 * 1024 * 1024, file, kTable);
  read_bounded(table, "failure_backoff_s", out.failure_backoff_s, 0, 86400, file, kTable);
  read_bounded(table, "max_backoff_s", out.max_backoff_s, 0, 7 * 86400, file, kTable);
}

// A setting that must be one of `allowed`.
void read_choice(const toml::table& table, std::string_view section, std::string_view key,
                 std::initializer_list<std::string_view> allowed, std::string& out,
                 const std::filesystem::path& file) {
  std::string value = out;
  read_string(table, key, value, file);
  std::string list;
  for (std::string_view option : allowed) {
    if (option == value) {
      out = value;
      return;
    }
    list += (list.empty() ? "" : ", ") + std::string(option);
  }
  throw Error(ErrorCode::invalid_input, file.string() + ": [" + std::string(section) + "] " +
                                            std::string(key) + " must be one of " + list);
}

}  // namespace

std::filesystem::path resolve_home(const std::optional<std::string>& flag) {
  std::string home = "./var";
  if (flag && !flag->empty()) {
    home = *flag;
  } else if (const char* env = std::getenv("SMIME_HOME"); env != nullptr && *env != '\0') {
    home = env;
  }
  return std::filesystem::absolute(home).lexically_normal();
}

AppConfig load_config(const std::filesystem::path& home,
                      const std::optional<std::filesystem::path>& config_file) {
  AppConfig config;
  config.home = home;
  config.token.module = SMIME_DEFAULT_MODULE;
  config.token.label = remembered_label(home).value_or("smime");
  config.token.pin = "file:" + (home / "user.pin").string();
  config.token.softhsm_conf = (home / "softhsm2.conf").string();

  std::filesystem::path file;
  if (config_file) {
    file = *config_file;
    if (!std::filesystem::exists(file)) {
      throw Error(ErrorCode::not_found, "Configuration file " + file.string() + " does not exist");
    }
  } else if (std::filesystem::exists(home / "smime.toml")) {
    file = home / "smime.toml";
  }
  if (!file.empty()) {
    toml::table root;
    try {
      root = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
      throw Error(ErrorCode::invalid_input, file.string() + ": " + std::string(e.description()));
    }
    config.config_file = file;
    if (const toml::table* token = root["token"].as_table()) {
      read_string(*token, "module", config.token.module, file);
      read_string(*token, "label", config.token.label, file);
      read_string(*token, "serial", config.token.serial, file);
      read_string(*token, "pin", config.token.pin, file);
      read_string(*token, "softhsm_conf", config.token.softhsm_conf, file);
      if (auto ms = (*token)["reinit_interval_ms"].value<int64_t>()) {
        config.token.reinit_interval_ms = static_cast<int>(*ms);
      }
      read_bounded(*token, "max_sessions", config.token.max_sessions, 1, 1024, file);
      read_bounded(*token, "session_wait_ms", config.token.session_wait_ms, 0, 600000, file);
      read_bounded(*token, "recycle_after_derivations", config.token.recycle_after_derivations, 0,
                   100000000, file);
      // A label given in the file without a serial means "by label": keep them exclusive.
      if (token->contains("serial") && !token->contains("label")) config.token.label.clear();
    }
    if (const toml::table* store = root["store"].as_table()) {
      read_string(*store, "url", config.store.url, file);
      read_bounded(*store, "pool_size", config.store.pool_size, 1, 256, file);
    }
    if (const toml::table* verification = root["verification"].as_table()) {
      if (const toml::node* node = verification->get("reject_sha1")) {
        const std::optional<bool> value = node->value<bool>();
        if (!value || !node->is_boolean()) {
          throw Error(ErrorCode::invalid_input,
                      file.string() + ": [verification] reject_sha1 must be true or false");
        }
        config.verification.reject_sha1 = *value;
      }
      std::string revocation = "soft";
      read_string(*verification, "revocation", revocation, file);
      if (revocation != "soft" && revocation != "hard") {
        throw Error(ErrorCode::invalid_input,
                    file.string() + ": [verification] revocation must be \"soft\" or \"hard\"");
      }
      config.verification.revocation_hard = revocation == "hard";
      std::string leaf_validity = "now";
      read_string(*verification, "leaf_validity", leaf_validity, file);
      if (leaf_validity != "now" && leaf_validity != "signing_time") {
        throw Error(
            ErrorCode::invalid_input,
            file.string() + ": [verification] leaf_validity must be \"now\" or \"signing_time\"");
      }
      config.verification.leaf_at_signing_time = leaf_validity == "signing_time";
    }
    if (const toml::table* certificates = root["certificates"].as_table()) {
      read_boolean(*certificates, "legacy", config.certificates.legacy, file);
      read_boolean(*certificates, "harvest", config.certificates.harvest, file);
    }
    if (const toml::table* revocation = root["revocation"].as_table()) {
      read_revocation(*revocation, config.revocation, file);
    }
    if (const toml::table* encryption = root["encryption"].as_table()) {
      read_choice(*encryption, "encryption", "cipher",
                  {"auto", "aes-256-cbc", "aes-128-gcm", "aes-256-gcm"}, config.encryption.cipher,
                  file);
      read_choice(*encryption, "encryption", "key_transport",
                  {"auto", "rsa-pkcs1", "rsa-oaep-sha1", "rsa-oaep-sha256"},
                  config.encryption.key_transport, file);
    }
    if (const toml::table* log = root["log"].as_table()) {
      read_string(*log, "level", config.log_level, file);
    }
  }
  override_from_env(config.token.module, "SMIME_PKCS11_MODULE");
  override_from_env(config.token.label, "SMIME_TOKEN_LABEL");
  override_from_env(config.token.serial, "SMIME_TOKEN_SERIAL");
  if (std::getenv("SMIME_TOKEN_SERIAL") != nullptr && std::getenv("SMIME_TOKEN_LABEL") == nullptr) {
    config.token.label.clear();
  }
  override_from_env(config.token.pin, "SMIME_TOKEN_PIN");
  override_from_env(config.log_level, "SMIME_LOG_LEVEL");
  override_from_env(config.store.url, "SMIME_STORE_URL");
  boolean_from_env(config.certificates.legacy, "SMIME_CERTIFICATES_LEGACY");
  boolean_from_env(config.certificates.harvest, "SMIME_CERTIFICATES_HARVEST");
  check_store_url(config.store.url, file.empty() ? "SMIME_STORE_URL" : file.string());
  return config;
}

void export_softhsm_conf(const AppConfig& config) {
  if (!config.token.softhsm_conf.empty() && std::filesystem::exists(config.token.softhsm_conf)) {
    ::setenv("SOFTHSM2_CONF", config.token.softhsm_conf.c_str(), 1);
  }
}

}  // namespace smime
