// The embedded SQLite store: one file, WAL, foreign keys, versioned forward migrations.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "smime/store/store.hpp"

namespace smime::store {

// Opens (creating when needed) the database file and migrates it to the newest schema. A new
// file is created with mode 0600, a missing parent directory with 0700.
// Safe to use from several processes at once (busy timeout; writes in IMMEDIATE
// transactions). One object is used by one thread at a time (calls are serialised).
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file);

// Number of the newest schema this build knows.
int latest_schema_version();

// The first value of `PRAGMA <name>` on the store's own connection, for diagnostics and tests
// ("journal_mode", "foreign_keys", "integrity_check", ...). Error(invalid_input) when `store`
// is not an SQLite store or `name` is not a plain pragma name.
std::string sqlite_pragma(Store& store, std::string_view name);

}  // namespace smime::store
