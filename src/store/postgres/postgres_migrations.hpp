// Versioned, forward-only schema migrations of the PostgreSQL store, recorded as rows of
// schema_version(version, summary, applied_at). Every node runs them when it opens the
// database: under one transaction-scoped advisory lock (kMigrationLockKey), so that nodes
// starting at the same moment apply each step exactly once, and the others wait and find the
// schema up to date. DDL is transactional in PostgreSQL: a step is applied whole or not at all.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace smime::postgres {
class Connection;
}

namespace smime::store::pg {

struct Migration {
  int version;               // 1, 2, ... without gaps
  std::string_view summary;  // what it adds, for logs and reviewers
  std::string_view sql;      // one or more statements
};

// "smime-store-migrations" as a number: the advisory lock the migrations hold.
inline constexpr std::int64_t kMigrationLockKey = 0x736d696d652d6d67;

std::span<const Migration> migrations();
int latest_version();
// The version the database is at (0 for an empty database).
int current_version(postgres::Connection& connection);
// Applies every missing migration. Error(unsupported) when a newer build wrote the schema.
void migrate(postgres::Connection& connection);

}  // namespace smime::store::pg
