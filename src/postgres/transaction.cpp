#include "smime/postgres/transaction.hpp"

#include <chrono>
#include <random>
#include <thread>

#include "smime/postgres/error.hpp"

namespace smime::postgres {

namespace {

// A lost connection, or one the server aborted to resolve a conflict: worth another attempt.
bool worth_retrying(const PostgresError& error) {
  return error.retryable() || error.connection_lost();
}

// Randomised so that two nodes whose transactions deadlocked do not collide again.
void pause_before(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  const int base_ms = 5 << attempt;
  std::uniform_int_distribution<int> jitter(0, base_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(base_ms + jitter(random)));
}

}  // namespace

Transaction::Transaction(Connection& connection)
    : connection_(&connection), nested_(connection.in_transaction()) {
  connection_->exec(nested_ ? "SAVEPOINT smime_nested" : "BEGIN");
}

Transaction::~Transaction() {
  if (done_ || PQstatus(connection_->handle()) != CONNECTION_OK) return;
  // Errors are ignored: a destructor cannot report them, and a lost connection has rolled the
  // transaction back on the server already.
  const char* sql =
      nested_ ? "ROLLBACK TO SAVEPOINT smime_nested; RELEASE SAVEPOINT smime_nested" : "ROLLBACK";
  PgResultPtr ignored(PQexec(connection_->handle(), sql));
}

void Transaction::commit() {
  if (done_) throw Error(ErrorCode::internal, "Transaction committed twice");
  done_ = true;  // a failed COMMIT ends the transaction too: nothing left to roll back
  connection_->exec(nested_ ? "RELEASE SAVEPOINT smime_nested" : "COMMIT");
}

void run_transaction(Connection& connection, const std::function<void(Connection&)>& body,
                     int attempts) {
  if (connection.in_transaction()) {
    Transaction savepoint(connection);
    body(connection);
    savepoint.commit();
    return;
  }
  for (int attempt = 1;; ++attempt) {
    bool committing = false;
    try {
      if (!connection.alive()) connection.reconnect();
      Transaction transaction(connection);
      body(connection);
      committing = true;
      transaction.commit();
      return;
    } catch (const PostgresError& e) {
      if (committing && e.connection_lost()) {
        throw PostgresError(ErrorCode::storage_failure,
                            std::string("The connection was lost during COMMIT; the change may "
                                        "or may not be stored: ") +
                                e.what(),
                            e.sqlstate(), true);
      }
      if (!worth_retrying(e) || attempt >= attempts) throw;
    }
    pause_before(attempt);
  }
}

void advisory_xact_lock(Connection& connection, std::int64_t key) {
  connection.execute("SELECT pg_advisory_xact_lock($1)", Params().add(key));
}

}  // namespace smime::postgres
