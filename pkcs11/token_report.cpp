#include "smime/pkcs11/token_report.hpp"

namespace smime::pkcs11 {
namespace {

// CK_UNAVAILABLE_INFORMATION (and, for a maximum, CK_EFFECTIVELY_INFINITE = 0) become null:
// the raw ~0UL is not even representable as a JSON number in a browser.
nlohmann::json session_figure(unsigned long value, bool zero_means_unlimited) {
  if (value == CK_UNAVAILABLE_INFORMATION || (zero_means_unlimited && value == 0)) return nullptr;
  return value;
}

}  // namespace

TokenReport report_token(Token& token, std::string module,
                         const std::function<std::size_t()>& count_private_keys, bool probe) {
  TokenReport report;
  report.module = std::move(module);
  report.description = token.describe();
  report.reinitializations = token.reinitializations();
  try {
    report.private_keys = count_private_keys();
  } catch (const Error& e) {
    // A wrong PIN is shown, not retried.
    report.login_error = e;
  }
  report.capabilities = probe_capabilities(token, probe && !report.login_error);
  return report;
}

nlohmann::json to_json(const TokenReport& report) {
  const TokenDescription& d = report.description;
  const TokenCapabilities& caps = report.capabilities;
  nlohmann::json result = {
      {"module", report.module},
      {"pin_source", report.pin_source},
      {"module_description", d.module_description},
      {"module_version", d.module_version},
      {"token",
       {{"label", d.label},
        {"serial", d.serial},
        {"manufacturer", d.manufacturer},
        {"model", d.model},
        {"initialized", d.initialized},
        {"user_pin_initialized", d.user_pin_initialized},
        {"user_pin_count_low", d.user_pin_count_low},
        {"user_pin_final_try", d.user_pin_final_try},
        {"user_pin_locked", d.user_pin_locked}}},
      // null: the token does not say (open) or sets no limit (max).
      {"sessions",
       {{"open", session_figure(d.session_count, false)},
        {"max", session_figure(d.max_session_count, true)},
        {"pool_limit", d.pool_limit}}},
      {"reinitializations", report.reinitializations},
      {"logged_in", report.private_keys.has_value()},
  };
  if (report.private_keys) result["key_count"] = *report.private_keys;
  if (report.login_error) {
    result["login_error"] = {{"code", std::string(to_string(report.login_error->code()))},
                             {"message", report.login_error->what()}};
  }
  nlohmann::json capabilities = {{"rsa_pkcs", caps.rsa_pkcs},     {"rsa_pss", caps.rsa_pss},
                                 {"rsa_oaep", caps.rsa_oaep},     {"rsa_x509", caps.rsa_x509},
                                 {"ecdsa", caps.ecdsa},           {"ecdh_derive", caps.ecdh_derive},
                                 {"rsa_keygen", caps.rsa_keygen}, {"ec_keygen", caps.ec_keygen},
                                 {"mechanisms", caps.mechanisms}};
  if (caps.oaep_sha1) capabilities["oaep_sha1"] = *caps.oaep_sha1;
  if (caps.oaep_sha256) capabilities["oaep_sha256"] = *caps.oaep_sha256;
  if (caps.ecdh_kdf) capabilities["ecdh_kdf"] = *caps.ecdh_kdf;
  if (caps.ecdh_raw) capabilities["ecdh_raw"] = *caps.ecdh_raw;
  if (caps.oaep_sha256 || caps.ecdh_kdf) {
    capabilities["software_completion"] = {{"rsa_oaep_sha1", !caps.oaep_sha1.value_or(false)},
                                           {"rsa_oaep_sha256", caps.needs_oaep_completion()},
                                           {"ecdh_kdf", caps.needs_ecdh_completion()}};
  }
  result["capabilities"] = capabilities;
  return result;
}

}  // namespace smime::pkcs11
