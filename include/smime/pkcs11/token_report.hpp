// The token's status as `smimectl token status --json` and GET /api/v1/token show it: one
// shape for both (module, token flags, login state and key count, capabilities).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "smime/common/error.hpp"
#include "smime/pkcs11/mechanisms.hpp"
#include "smime/pkcs11/token.hpp"

namespace smime::pkcs11 {

struct TokenReport {
  std::string module;
  std::string pin_source;  // where the PIN comes from (PinSource::describe), never the PIN
  TokenDescription description;
  std::uint64_t reinitializations = 0;
  std::optional<std::size_t> private_keys;  // nullopt when the login failed
  std::optional<Error> login_error;
  TokenCapabilities capabilities;
};

// count_private_keys logs in and counts the private keys; its Error is reported, not thrown.
// probe: also try OAEP-SHA256 and the ECDH KDFs (only when the login worked).
TokenReport report_token(Token& token, std::string module,
                         const std::function<std::size_t()>& count_private_keys, bool probe);

nlohmann::json to_json(const TokenReport& report);

}  // namespace smime::pkcs11
