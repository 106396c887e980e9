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
#include <memory>
#include <string>

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

}  // namespace smime::store
