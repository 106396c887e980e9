// API tokens on the appliance's SQLite file (table api_tokens, schema version 3).
#include "smime/store/api_token_store.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <map>
#include <mutex>

#include "migrations.hpp"
#include "record_rules.hpp"
#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/sqlite/database.hpp"
#include "smime/store/names.hpp"
#include "smime/store/sqlite_store.hpp"

namespace smime::store {

using sqlite::Statement;
using sqlite::Transaction;
namespace {

constexpr std::size_t kSecretBytes = 32;
constexpr std::int64_t kLastUsedResolution = 60;  // seconds between last_used_at writes

ApiToken read_token(const Statement& row) {
  ApiToken token;
  token.id = row.int64(0);
  token.name = row.text(1);
  token.role = parse_api_role(row.text(2)).value_or(ApiRole::auditor);
  token.created_at = row.int64(3);
  if (!row.is_null(4)) token.last_used_at = row.int64(4);
  if (!row.is_null(5)) token.revoked_at = row.int64(5);
  return token;
}

constexpr std::string_view kColumns =
    "id, name, role, created_at, last_used_at, revoked_at, secret_sha256";
// In the same read as the token (one statement, one snapshot).
constexpr std::string_view kRevisionColumn = "(SELECT revision FROM store_revision WHERE id = 1)";

// Administration (create, list, revoke) runs on the appliance's shared connection, so that it
// joins the transaction of the audit entry that records it. authenticate(), on every request,
// reads on a connection of its own and never waits for an administrative transaction.
class SqliteApiTokenStore final : public ApiTokenStore {
 public:
  explicit SqliteApiTokenStore(std::shared_ptr<sqlite::Database> database)
      : database_(std::move(database)),
        mutex_(database_->mutex()),
        db_(database_->connection()),
        auth_db_(Connection::open(database_->file())) {
    // Recording a use is bookkeeping: it may give up at once when another writer is busy.
    auth_db_.set_busy_timeout(std::chrono::milliseconds(20));
  }

  CreatedApiToken create(std::string_view name, ApiRole role) override {
    require_valid_name("An API token name", name);
    CreatedApiToken created{{}, generate_api_token_secret()};
    const std::string hash = api_token_hash(created.secret.view());
    const std::int64_t now = unix_seconds_now();
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    db_.prepare(
           "INSERT INTO api_tokens (name, role, secret_sha256, created_at) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, name)
        .bind(2, to_string(role))
        .bind(3, hash)
        .bind(4, now)
        .run();
    created.token.id = db_.last_insert_rowid();
    transaction.commit();
    created.token.name = std::string(name);
    created.token.role = role;
    created.token.created_at = now;
    return created;
  }

  std::vector<ApiToken> list() override {
    std::lock_guard lock(mutex_);
    Statement query =
        db_.prepare("SELECT " + std::string(kColumns) + " FROM api_tokens ORDER BY id");
    std::vector<ApiToken> tokens;
    while (query.step()) tokens.push_back(read_token(query));
    return tokens;
  }

  std::optional<ApiToken> get(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    Statement query =
        db_.prepare("SELECT " + std::string(kColumns) + " FROM api_tokens WHERE id = ?1");
    query.bind(1, id);
    if (!query.step()) return std::nullopt;
    return read_token(query);
  }

  bool revoke(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    Statement exists = db_.prepare("SELECT 1 FROM api_tokens WHERE id = ?1");
    exists.bind(1, id);
    if (!exists.step()) return false;
    db_.prepare("UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
        .bind(1, id)
        .bind(2, unix_seconds_now())
        .run();
    transaction.commit();
    std::lock_guard auth_lock(auth_mutex_);
    last_used_.erase(id);
    return true;
  }

  std::optional<ApiToken> authenticate(std::string_view secret) override {
    if (!well_formed_api_token_secret(secret)) return std::nullopt;
    // By hash, then confirmed in constant time (record_rules.hpp).
    const std::string hash = api_token_hash(secret);
    std::lock_guard lock(auth_mutex_);
    Statement query =
        auth_db_.prepare("SELECT " + std::string(kColumns) + ", " + std::string(kRevisionColumn) +
                         " FROM api_tokens WHERE secret_sha256 = ?1");
    query.bind(1, hash);
    if (!query.step()) return std::nullopt;
    if (!same_secret_hash(query.text(6), hash)) return std::nullopt;
    ApiToken token = read_token(query);
    if (!query.is_null(7)) token.store_revision = query.int64(7);
    if (token.revoked_at) return std::nullopt;
    touch(token);
    return token;
  }

 private:
  // requires auth_mutex_
  void touch(ApiToken& token) {
    const std::int64_t now = unix_seconds_now();
    auto& last = last_used_[token.id];
    if (now - last < kLastUsedResolution) return;
    last = now;
    try {
      auth_db_.prepare("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")
          .bind(1, token.id)
          .bind(2, now)
          .run();
      token.last_used_at = now;
    } catch (const Error&) {
      // Usage bookkeeping never turns a valid token away (e.g. a busy database).
      last = 0;
    }
  }

  std::shared_ptr<sqlite::Database> database_;
  std::recursive_mutex& mutex_;
  Connection& db_;
  std::mutex auth_mutex_;  // guards auth_db_ and last_used_
  Connection auth_db_;
  std::map<std::int64_t, std::int64_t> last_used_;
};

}  // namespace

std::string_view to_string(ApiRole role) noexcept {
  switch (role) {
    case ApiRole::admin:
      return "admin";
    case ApiRole::operator_:
      return "operator";
    case ApiRole::auditor:
      return "auditor";
  }
  return "auditor";
}

std::optional<ApiRole> parse_api_role(std::string_view text) noexcept {
  if (text == "admin") return ApiRole::admin;
  if (text == "operator") return ApiRole::operator_;
  if (text == "auditor") return ApiRole::auditor;
  return std::nullopt;
}

SecretString generate_api_token_secret() {
  std::array<unsigned char, kSecretBytes> random{};
  if (RAND_priv_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot generate an API token");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  SecretString secret(kApiTokenPrefix);
  for (unsigned char b : random) {
    secret.push_back(kDigits[b >> 4]);
    secret.push_back(kDigits[b & 0x0f]);
  }
  OPENSSL_cleanse(random.data(), random.size());
  return secret;
}

std::string api_token_hash(std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
      1) {
    throw_openssl(ErrorCode::crypto, "Cannot hash an API token");
  }
  return to_hex(std::span<const unsigned char>(digest.data(), length));
}

std::unique_ptr<ApiTokenStore> open_sqlite_api_token_store(
    std::shared_ptr<sqlite::Database> database) {
  return std::make_unique<SqliteApiTokenStore>(std::move(database));
}

std::unique_ptr<ApiTokenStore> open_sqlite_api_token_store(const std::filesystem::path& file) {
  return open_sqlite_api_token_store(open_sqlite_database(file));
}

}  // namespace smime::store
