// How failures of libpq calls become smime::Error. The code says what a caller can do about it,
// with the same meaning as the SQLite layer's (smime/sqlite/connection.hpp, throw_sqlite):
// constraint violations are conflict (unique, foreign key: the caller gives its own sentence)
// or invalid_input (check, not null); what keeps the database from working is one of the
// storage codes, so that a server answers "unavailable" and a balancer routes around the node.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <string_view>

#include "smime/common/error.hpp"

namespace smime::postgres {

// Well-known SQLSTATEs the store and the audit log test for.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kForeignKeyViolation = "23503";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";

// An Error from PostgreSQL, with the server's SQLSTATE ("" when the connection failed before
// the server could answer). Catching smime::Error catches it too.
class PostgresError : public Error {
 public:
  PostgresError(ErrorCode code, const std::string& message, std::string sqlstate,
                bool connection_lost)
      : Error(code, message), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}

  const std::string& sqlstate() const noexcept { return sqlstate_; }
  // The connection is gone (server restarted or unreachable): the pool reopens it.
  bool connection_lost() const noexcept { return connection_lost_; }
  // A transaction that failed with this may succeed when run again from the start.
  bool retryable() const noexcept {
    return sqlstate_ == kSerializationFailure || sqlstate_ == kDeadlockDetected;
  }

 private:
  std::string sqlstate_;
  bool connection_lost_;
};

// 23505/23503 conflict; other class 23 invalid_input; 40001, 40P01, 55P03 (lock not
// available), 57014 (statement timeout) and 53300 (too many connections) storage_busy; 53100
// storage_full; 25006 storage_read_only; class 08 (connection), 57P (shutdown), 58 (system
// I/O), XX001/XX002 (corruption), other class 53 and P0001 (a trigger's RAISE: the audit
// log's append-only guard) storage_failure; class 22 invalid_input; anything else internal.
ErrorCode code_for_sqlstate(std::string_view sqlstate) noexcept;

// Throws the PostgresError for a failed call on `connection`: from `result` when the server
// answered (its SQLSTATE and primary message), else from the connection's own message. A lost
// connection is storage_failure, the code the SQLite layer gives a database it cannot reach.
[[noreturn]] void throw_postgres(PGconn* connection, const PGresult* result,
                                 std::string_view context);

}  // namespace smime::postgres
