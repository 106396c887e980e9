// Transactions on one connection: BEGIN ... COMMIT, or a SAVEPOINT inside an open one (so that
// a guarded step is atomic on its own and also joins an outer transaction, as in the SQLite
// layer), retries of transactions the server aborted to resolve a conflict, and the
// transaction-scoped advisory lock that serialises work across nodes.
#pragma once

#include <cstdint>
#include <functional>

#include "smime/postgres/connection.hpp"

namespace smime::postgres {

// Rolled back by the destructor unless commit() was called. Isolation: READ COMMITTED, the
// server's default; writers that must see each other's rows lock a row first (FOR UPDATE).
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();
  bool nested() const noexcept { return nested_; }

 private:
  Connection* connection_;
  bool nested_;
  bool done_ = false;
};

// How often run_transaction starts a transaction the server aborted (serialization failure,
// deadlock) or whose connection was lost before its COMMIT was sent.
inline constexpr int kTransactionAttempts = 4;

// Runs body in a transaction on `connection` (a savepoint when one is already open there:
// then a retry is up to the outermost transaction, and a failure propagates). A transaction
// that failed with a retryable error (PostgresError::retryable) or lost its connection before
// COMMIT was sent is rolled back and run again, up to `attempts` times in all, after a short
// randomised pause; the connection is reopened first when it was lost. So body may run more
// than once and must only have effects on the database until it returns. A lost connection
// during COMMIT is not retried (the outcome is unknown): storage_failure saying so.
void run_transaction(Connection& connection, const std::function<void(Connection&)>& body,
                     int attempts = kTransactionAttempts);

// pg_advisory_xact_lock(key): waits until no other session holds `key`, then holds it until
// the current transaction ends (commit or rollback). For a lock on something that is not a
// row (the audit chain's head, the migrations); for one that is, SELECT ... FOR UPDATE.
void advisory_xact_lock(Connection& connection, std::int64_t key);

}  // namespace smime::postgres
