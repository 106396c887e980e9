// The PostgreSQL store, for several smimed nodes on one database: the same Store and
// ApiTokenStore semantics and messages as the SQLite store, on a pool of connections
// (smime/postgres/database.hpp) shared with the audit log, so that a change and its audit
// entry can commit in one transaction. The revision counter is a row updated in the
// transaction of every change of certificates or CRLs: each node notices another node's
// changes with one cheap SELECT.
//
// Unlike SQLite's, Store::in_transaction() may run its body more than once: when the server
// aborts the transaction to resolve a deadlock or serialization failure, or its connection is
// lost before COMMIT (postgres::run_transaction). A body must therefore only change the
// database until it returns (keep other effects, such as answering a request, for after).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "smime/store/api_token_store.hpp"
#include "smime/store/store.hpp"

namespace smime::postgres {
class Database;
}

namespace smime::store {

// Connects to `url` (a libpq URL or conninfo string: "postgresql://smime@db.example/smime")
// with at most `pool_size` connections and migrates the schema to the newest version. Nodes
// opening it at the same moment are safe: the migrations run under an advisory lock.
// PostgresError(storage_failure) when the server cannot be reached; Error(unsupported) when a
// newer build wrote the schema; Error(invalid_input) for a pool size of 0.
std::shared_ptr<postgres::Database> open_postgres_database(const std::string& url,
                                                           std::size_t pool_size);
std::unique_ptr<Store> open_postgres_store(std::shared_ptr<postgres::Database> database);
std::unique_ptr<ApiTokenStore> open_postgres_api_token_store(
    std::shared_ptr<postgres::Database> database);

// Number of the newest PostgreSQL schema this build knows (Store::schema_version() of an
// up-to-date database).
int latest_postgres_schema_version();

// ---- moving an SQLite appliance to PostgreSQL (smimectl db copy) ----

struct CopiedTable {
  std::string table;
  std::int64_t rows = 0;
};

struct CopiedAuditHead {
  std::int64_t last_id = 0;
  std::int64_t entries = 0;
  std::string hash;  // 64 zeros for an empty log
};

struct CopyReport {
  std::filesystem::path source;
  int source_schema_version = 0;
  int target_schema_version = 0;
  std::vector<CopiedTable> tables;  // in the order they were copied
  CopiedAuditHead audit_head;       // the source's, now also the target's
  std::int64_t revision = 0;        // the target's store revision after the copy
};

// Copies every row of the SQLite database `sqlite_file` (certificates and their emails,
// groups, CRLs and their revoked serials, API tokens with their secret hashes, reserved keys,
// the audit log with its head and counts) into the PostgreSQL database at `url`, verbatim: the
// same ids, hashes, times and bytes, so that API token secrets keep working and the audit
// chain continues. The source is read in one read transaction (a consistent snapshot while
// smimed may still write to it: its later changes are not copied), the target is migrated and
// then written in one transaction, which also sets the identity sequences past the copied
// ids. The store revision becomes greater than any value either side had.
// Error(not_found) when the file does not exist; Error(unsupported) when its schema is not
// this build's newest (open it once with this version to migrate it); Error(conflict) "... is
// not empty ..." when the target already holds a certificate, group, CRL, API token or audit
// entry. Nothing in the target changes when it fails (beyond its migration).
CopyReport copy_sqlite_to_postgres(const std::filesystem::path& sqlite_file,
                                   const std::string& url);

}  // namespace smime::store
