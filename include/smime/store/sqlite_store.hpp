// The embedded SQLite store: one file, WAL, foreign keys, versioned forward migrations.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "smime/store/store.hpp"

namespace smime::sqlite {
class Database;
}

namespace smime::store {

// Opens (creating when needed) the appliance's database file and migrates it to the newest
// schema. A new file is created with mode 0600, a missing parent directory with 0700. The one
// connection it holds is shared by the store, the API token store and the audit log, so that
// a change and its audit entry can commit in one transaction.
// Safe to use from several processes at once (busy timeout; writes in IMMEDIATE
// transactions); calls from several threads are serialised.
std::shared_ptr<sqlite::Database> open_sqlite_database(const std::filesystem::path& file);
std::unique_ptr<Store> open_sqlite_store(std::shared_ptr<sqlite::Database> database);
// A store on a database of its own.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file);

// Number of the newest schema this build knows.
int latest_schema_version();

// The first value of `PRAGMA <name>` on the store's own connection, for diagnostics and tests
// ("journal_mode", "foreign_keys", "integrity_check", ...). Error(invalid_input) when `store`
// is not an SQLite store or `name` is not a plain pragma name.
std::string sqlite_pragma(Store& store, std::string_view name);

}  // namespace smime::store
