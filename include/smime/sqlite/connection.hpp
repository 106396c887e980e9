// A thin RAII layer over the SQLite C API, used by the store and the audit log: one connection,
// prepared statements and transaction guards. Every failure becomes smime::Error with SQLite's
// own message; the code says what a caller can do about it (see throw_sqlite).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smime/common/handles.hpp"

namespace smime::sqlite {

// close_v2 defers the close until the last statement is finalized, so the order in which
// owners are destroyed never leaks a "database is locked" connection.
using SqlitePtr = std::unique_ptr<sqlite3, FreeWith<sqlite3_close_v2>>;
using SqliteStmtPtr = std::unique_ptr<sqlite3_stmt, FreeWith<sqlite3_finalize>>;
// Finishing releases the backup's locks; its result is also left in sqlite3_errcode(dest).
using SqliteBackupPtr = std::unique_ptr<sqlite3_backup, FreeWith<sqlite3_backup_finish>>;

// Throws the Error for a failed SQLite call. Constraint violations become conflict (UNIQUE,
// PRIMARY KEY, FOREIGN KEY; the message names the constraint, so a store can give its own
// sentence) or invalid_input (CHECK, NOT NULL). What keeps the database from working is one of
// the storage codes, so that a server can answer "unavailable" and a balancer route around it:
// storage_full (disk full, file size limit), storage_read_only (read-only file or filesystem,
// no permission), storage_busy (locked longer than the busy timeout), storage_failure (I/O
// errors, a damaged or missing file). SQL errors and misuse are internal.
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view context);

// Prepared statements of one connection kept for reuse, keyed by their SQL text, so that hot
// paths (the API token check, audit inserts, certificate lookups) never parse SQL twice.
class StatementCache;

// One prepared statement. Parameters are 1-based (as in SQLite), columns 0-based. A statement
// from Connection::prepare goes back, reset and unbound, to its connection's cache when
// destroyed (or is finalized when the connection is gone).
class Statement {
 public:
  explicit Statement(SqliteStmtPtr stmt) : stmt_(std::move(stmt)) {}
  Statement(SqliteStmtPtr stmt, std::weak_ptr<StatementCache> cache, std::string sql)
      : stmt_(std::move(stmt)), cache_(std::move(cache)), sql_(std::move(sql)) {}
  ~Statement();
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::span<const unsigned char> blob);
  Statement& bind(int index, const std::optional<std::string>& text);  // nullopt: NULL
  Statement& bind_null(int index);
  // Exact overloads so that strings, literals and small integers pick the obvious binding.
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }
  Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }

  // True when a row is available, false when the statement has finished.
  bool step();
  // Steps to completion (for statements that return no rows).
  void run();
  // Rewinds the statement and clears its bindings, to run it again.
  void reset();

  bool is_null(int column) const;
  std::string text(int column) const;  // NULL reads as ""
  std::optional<std::string> optional_text(int column) const;
  std::int64_t int64(int column) const;
  bool boolean(int column) const { return int64(column) != 0; }
  std::vector<unsigned char> blob(int column) const;

 private:
  SqliteStmtPtr stmt_;
  std::weak_ptr<StatementCache> cache_;
  std::string sql_;
};

class Connection {
 public:
  // Opens (creating when missing) a database for the store: extended result codes, a 10 s busy
  // timeout, WAL journal, foreign keys and synchronous=NORMAL.
  static Connection open(const std::filesystem::path& file);
  // Opens an existing or new file without changing its settings (backup destinations).
  static Connection open_plain(const std::filesystem::path& file);

  Statement prepare(std::string_view sql);
  // Runs one or more statements that return no rows.
  void exec(std::string_view sql);
  // The first column of the first row of a query, as text ("" when there is no row).
  std::string query_text(std::string_view sql);

  // How long a writer waits for another connection's transaction (default 10 s).
  void set_busy_timeout(std::chrono::milliseconds timeout);

  std::int64_t last_insert_rowid() const noexcept;
  // Rows changed by the most recent INSERT, UPDATE or DELETE.
  std::int64_t changes() const noexcept;
  bool in_transaction() const noexcept;
  sqlite3* handle() const noexcept { return db_.get(); }

 private:
  explicit Connection(SqlitePtr db);
  static Connection open_with(const std::filesystem::path& file);

  SqlitePtr db_;
  // Declared after db_: destroyed first, so cached statements are finalized before the close.
  std::shared_ptr<StatementCache> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, or a SAVEPOINT when the connection is already inside a
// transaction, so that a guarded step is atomic on its own and also joins an outer
// transaction. IMMEDIATE takes the write lock up front: a writer then waits in the busy
// timeout instead of failing with SQLITE_BUSY when it upgrades a read transaction.
// Rolled back by the destructor unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection* connection_;
  bool nested_;
  bool done_ = false;
};

}  // namespace smime::sqlite
