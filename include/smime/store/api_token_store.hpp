// Bearer API tokens for smimed (SPEC §8): random 256-bit secrets with a recognisable prefix
// ("smk_" + 64 lowercase hex digits), stored only as the SHA-256 of the secret. The secret is
// shown once, when the token is created.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smime/common/secure_buffer.hpp"

namespace smime::sqlite {
class Database;
}

namespace smime::store {

enum class ApiRole { admin, operator_, auditor };
std::string_view to_string(ApiRole role) noexcept;
// "admin", "operator", "auditor"
std::optional<ApiRole> parse_api_role(std::string_view text) noexcept;

inline constexpr std::string_view kApiTokenPrefix = "smk_";

struct ApiToken {
  std::int64_t id = 0;  // what the audit log names as the actor
  std::string name;
  ApiRole role = ApiRole::auditor;
  std::int64_t created_at = 0;  // unix seconds
  std::optional<std::int64_t> last_used_at;
  std::optional<std::int64_t> revoked_at;
  // Set by authenticate(): the revision of the store on the token's database, read in the same
  // statement, so that the request it admits needs no read of its own (RevisionScope's seed).
  std::optional<std::int64_t> store_revision;
};

struct CreatedApiToken {
  ApiToken token;
  SecretString secret;  // "smk_..." — never stored, never logged
};

class ApiTokenStore {
 public:
  virtual ~ApiTokenStore() = default;

  // Error(invalid_input) for an empty or over-long name.
  virtual CreatedApiToken create(std::string_view name, ApiRole role) = 0;
  // Every token, revoked ones included, oldest first.
  virtual std::vector<ApiToken> list() = 0;
  virtual std::optional<ApiToken> get(std::int64_t id) = 0;
  // False when there is no such token; revoking twice keeps the first time.
  virtual bool revoke(std::int64_t id) = 0;
  // The live (not revoked) token whose secret this is; nullopt for anything else. The stored
  // hash is compared in constant time. Records the use (at most once a minute per token).
  // The token's store_revision is set.
  virtual std::optional<ApiToken> authenticate(std::string_view secret) = 0;
};

// On the appliance's shared database (sqlite_store.hpp), or on a database of its own.
std::unique_ptr<ApiTokenStore> open_sqlite_api_token_store(
    std::shared_ptr<sqlite::Database> database);
std::unique_ptr<ApiTokenStore> open_sqlite_api_token_store(const std::filesystem::path& file);

// "smk_" + 64 hex digits from the system's CSPRNG.
SecretString generate_api_token_secret();
// Lowercase hex SHA-256 of the secret, as stored.
std::string api_token_hash(std::string_view secret);

}  // namespace smime::store
