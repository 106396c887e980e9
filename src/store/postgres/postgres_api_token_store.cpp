// API tokens on the PostgreSQL store (table api_tokens, schema version 2).

#include <map>
#include <mutex>

#include "record_rules.hpp"
#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/postgres/database.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/names.hpp"
#include "smime/store/postgres_store.hpp"

namespace smime::store {

using postgres::Connection;
using postgres::Params;
using postgres::Result;

namespace {

constexpr std::int64_t kLastUsedResolution = 60;  // seconds between last_used_at writes

constexpr std::string_view kColumns =
    "id, name, role, created_at, last_used_at, revoked_at, secret_sha256";

ApiToken read_token(const Result& rows, int row) {
  ApiToken token;
  token.id = rows.int64(row, 0);
  token.name = rows.text(row, 1);
  token.role = parse_api_role(rows.text(row, 2)).value_or(ApiRole::auditor);
  token.created_at = rows.int64(row, 3);
  if (!rows.is_null(row, 4)) token.last_used_at = rows.int64(row, 4);
  if (!rows.is_null(row, 5)) token.revoked_at = rows.int64(row, 5);
  return token;
}

// Every call runs on the shared Database: administration (create, revoke) joins the
// transaction of the audit entry that records it when the caller opened one; authenticate()
// takes a pooled connection of its own otherwise, so requests never wait for one another.
class PostgresApiTokenStore final : public ApiTokenStore {
 public:
  explicit PostgresApiTokenStore(std::shared_ptr<postgres::Database> database)
      : database_(std::move(database)) {}

  CreatedApiToken create(std::string_view name, ApiRole role) override {
    require_valid_name("An API token name", name);
    CreatedApiToken created{{}, generate_api_token_secret()};
    const std::string hash = api_token_hash(created.secret.view());
    const std::int64_t now = unix_seconds_now();
    created.token.id = database_->transact([&](Connection& db) {
      return db
          .execute(
              "INSERT INTO api_tokens (name, role, secret_sha256, created_at) "
              "VALUES ($1, $2, $3, $4) RETURNING id",
              Params().add(name).add(to_string(role)).add(hash).add(now))
          .int64(0, 0);
    });
    created.token.name = std::string(name);
    created.token.role = role;
    created.token.created_at = now;
    return created;
  }

  std::vector<ApiToken> list() override {
    const Result rows = database_->query([&](Connection& db) {
      return db.execute("SELECT " + std::string(kColumns) + " FROM api_tokens ORDER BY id");
    });
    return rows.map_rows(read_token);
  }

  std::optional<ApiToken> get(std::int64_t id) override {
    const Result rows = database_->query([&](Connection& db) {
      return db.execute("SELECT " + std::string(kColumns) + " FROM api_tokens WHERE id = $1",
                        Params().add(id));
    });
    if (rows.empty()) return std::nullopt;
    return read_token(rows, 0);
  }

  bool revoke(std::int64_t id) override {
    const bool exists = database_->transact([&](Connection& db) {
      // Locked: a concurrent revocation on another node waits and then keeps the first time.
      if (db.execute("SELECT 1 FROM api_tokens WHERE id = $1 FOR UPDATE", Params().add(id))
              .empty()) {
        return false;
      }
      db.execute("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                 Params().add(id).add(unix_seconds_now()));
      return true;
    });
    if (exists) {
      std::lock_guard lock(last_used_mutex_);
      last_used_.erase(id);
    }
    return exists;
  }

  std::optional<ApiToken> authenticate(std::string_view secret) override {
    if (!well_formed_api_token_secret(secret)) return std::nullopt;
    // By hash, then confirmed in constant time (record_rules.hpp).
    const std::string hash = api_token_hash(secret);
    const Result rows = database_->query([&](Connection& db) {
      return db.execute("SELECT " + std::string(kColumns) +
                            ", (SELECT revision FROM store_revision WHERE id = 1) "
                            "FROM api_tokens WHERE secret_sha256 = $1",
                        Params().add(hash));
    });
    if (rows.empty()) return std::nullopt;
    if (!same_secret_hash(rows.text(0, 6), hash)) return std::nullopt;
    ApiToken token = read_token(rows, 0);
    if (!rows.is_null(0, 7)) token.store_revision = rows.int64(0, 7);  // same snapshot
    if (token.revoked_at) return std::nullopt;
    touch(token);
    return token;
  }

 private:
  // Records the use at most once a minute per token: per process through last_used_, and
  // across nodes through the condition on last_used_at.
  void touch(ApiToken& token) {
    const std::int64_t now = unix_seconds_now();
    {
      std::lock_guard lock(last_used_mutex_);
      auto& last = last_used_[token.id];
      if (now - last < kLastUsedResolution) return;
      last = now;
    }
    try {
      // SKIP LOCKED: bookkeeping never waits for an administrative transaction on the row. A
      // savepoint when the caller has a transaction open: a failure here cannot abort it.
      database_->in_transaction([&](Connection& db) {
        db.execute(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = (SELECT id FROM api_tokens "
            "WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3) FOR UPDATE SKIP "
            "LOCKED)",
            Params().add(token.id).add(now).add(now - kLastUsedResolution));
      });
      token.last_used_at = now;
    } catch (const Error&) {
      // Usage bookkeeping never turns a valid token away (e.g. an unavailable database).
      std::lock_guard lock(last_used_mutex_);
      last_used_[token.id] = 0;
    }
  }

  std::shared_ptr<postgres::Database> database_;
  std::mutex last_used_mutex_;
  std::map<std::int64_t, std::int64_t> last_used_;
};

}  // namespace

std::unique_ptr<ApiTokenStore> open_postgres_api_token_store(
    std::shared_ptr<postgres::Database> database) {
  return std::make_unique<PostgresApiTokenStore>(std::move(database));
}

}  // namespace smime::store
