// The embedded SQLite store: one file, WAL, foreign keys, versioned forward migrations.
#pragma once

#include <filesystem>
#include <memory>

#include "smime/store/store.hpp"

namespace smime::store {

// Opens (creating when needed) the database file and migrates it to the newest schema.
// Safe to use from several processes at once (busy timeout; writes in IMMEDIATE
// transactions). One object is used by one thread at a time (calls are serialised).
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file);

// Number of the newest schema this build knows.
int latest_schema_version();

}  // namespace smime::store
