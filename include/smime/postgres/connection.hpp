// One libpq connection with its prepared statements. Each distinct SQL text is prepared once
// per connection, under a name of its own, and reused: hot paths (the API token check,
// certificate lookups, audit appends) never parse SQL twice. Parameters go in text form
// (params.hpp), results come back in text form (result.hpp). Not thread-safe: a connection is
// used by one thread at a time (the pool in database.hpp hands them out).
//
// Synchronous commit stays on (the server's default; nothing here changes it): a COMMIT is
// acknowledged only once its WAL is flushed, so an acknowledged change (and its audit entry)
// survives a crash of the server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "smime/postgres/params.hpp"
#include "smime/postgres/result.hpp"

namespace smime::postgres {

class Connection {
 public:
  // Connects to a libpq URL or conninfo string ("postgresql://user@host/db",
  // "host=/run/postgresql dbname=smime"), waiting at most 10 s unless it sets
  // connect_timeout. PostgresError(storage_failure) when the server cannot be reached.
  static Connection open(const std::string& url);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() = default;

  // Runs one statement with $1, $2, ... parameters as a prepared statement. Throws
  // PostgresError (error.hpp) when it fails.
  Result execute(std::string_view sql, const Params& params = {});
  // Runs one or more statements without parameters (simple query protocol): BEGIN, SAVEPOINT,
  // DDL of the migrations.
  void exec(std::string_view sql);

  // Inside a transaction block (open, or failed and waiting for ROLLBACK).
  bool in_transaction() const noexcept;
  // False once the server closed the connection: reads what the server sent meanwhile (no
  // wait), so an idle connection to a restarted server is noticed before it is used.
  bool alive() noexcept;
  // Reconnects with the same parameters; the prepared statements are gone with the session.
  void reconnect();

  PGconn* handle() const noexcept { return connection_.get(); }

 private:
  Connection(PgConnPtr connection, std::string url);
  // The name the statement `sql` is prepared under on this session, preparing it if needed.
  const std::string& prepared(std::string_view sql);

  // Statements prepared on this session; cleared beyond this many (the texts are the
  // program's own, but some are assembled from optional filters).
  static constexpr std::size_t kMaxPrepared = 256;

  PgConnPtr connection_;
  std::string url_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  std::size_t next_name_ = 0;
};

}  // namespace smime::postgres
