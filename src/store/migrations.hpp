// Versioned, forward-only schema migrations of the SQLite store.
//
// The applied versions are rows of schema_migrations(version, applied_at) rather than
// PRAGMA user_version: the table records when each step ran (useful when supporting an
// upgraded appliance) and is read and written inside the migration's own transaction, so two
// processes opening a fresh file at once apply each step exactly once.
#pragma once

#include <span>
#include <string_view>

namespace smime::sqlite {
class Connection;
}

namespace smime::store {

using sqlite::Connection;

struct Migration {
  int version;               // 1, 2, ... without gaps
  std::string_view summary;  // what it adds, for logs and reviewers
  std::string_view sql;      // one or more statements
};

// All migrations this build knows, oldest first. Adding a schema change is adding one entry.
std::span<const Migration> migrations();

// The newest version this build knows.
int latest_version();

// The version a database is at (0 for a new, empty file).
int current_version(Connection& connection);

// Applies every missing migration, each in its own IMMEDIATE transaction. Throws
// Error(unsupported) when the database was written by a newer build.
void migrate(Connection& connection);

}  // namespace smime::store
