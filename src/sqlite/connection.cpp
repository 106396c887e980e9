#include "smime/sqlite/connection.hpp"

#include <cerrno>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "smime/common/error.hpp"

namespace smime::sqlite {

namespace {

// Writers wait this long for another connection (thread or process) to finish its
// transaction before giving up with an io error.
constexpr int kBusyTimeoutMs = 10'000;

ErrorCode storage_code(int primary, int system_errno) {
  switch (primary) {
    case SQLITE_FULL:
      return ErrorCode::storage_full;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return ErrorCode::storage_read_only;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::storage_busy;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      // SQLite reports ENOSPC as SQLITE_FULL, but a write over the file size limit (EFBIG) and
      // some ENOSPC paths as I/O errors; EROFS/EACCES when a directory or mount changed.
      if (system_errno == ENOSPC || system_errno == EFBIG || system_errno == EDQUOT) {
        return ErrorCode::storage_full;
      }
      if (system_errno == EROFS || system_errno == EACCES || system_errno == EPERM) {
        return ErrorCode::storage_read_only;
      }
      return ErrorCode::storage_failure;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
      return ErrorCode::storage_failure;
    default:
      return ErrorCode::internal;
  }
}

ErrorCode code_for(int rc, int extended, int system_errno) {
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY ||
        extended == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return ErrorCode::conflict;
    }
    // A trigger refused the write (the audit log's append-only guard, or an operator's own):
    // the database cannot take it, whatever the request.
    if (extended == SQLITE_CONSTRAINT_TRIGGER) return ErrorCode::storage_failure;
    return ErrorCode::invalid_input;  // CHECK, NOT NULL: a value the schema does not allow
  }
  return storage_code(rc & 0xff, system_errno);
}

}  // namespace

void throw_sqlite(sqlite3* db, int rc, std::string_view context) {
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  const int system_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  const std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw Error(code_for(rc, extended, system_errno), std::string(context) + ": " + message);
}

// ---- StatementCache ----

class StatementCache {
 public:
  // Bounds: SQL texts are the program's own, but some are assembled from optional filters.
  static constexpr std::size_t kMaxTexts = 128;
  static constexpr std::size_t kMaxIdlePerText = 4;

  SqliteStmtPtr take(const std::string& sql) {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(sql);
    if (it == idle_.end() || it->second.empty()) return nullptr;
    SqliteStmtPtr stmt = std::move(it->second.back());
    it->second.pop_back();
    return stmt;
  }

  void give_back(std::string sql, SqliteStmtPtr stmt) {
    // Reset ends the statement's read transaction; a cached statement holds no lock.
    sqlite3_reset(stmt.get());
    sqlite3_clear_bindings(stmt.get());
    std::lock_guard lock(mutex_);
    auto it = idle_.find(sql);
    if (it == idle_.end()) {
      if (idle_.size() >= kMaxTexts) return;  // finalized by the caller's unique_ptr
      it = idle_.emplace(std::move(sql), std::vector<SqliteStmtPtr>{}).first;
    }
    if (it->second.size() < kMaxIdlePerText) it->second.push_back(std::move(stmt));
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<SqliteStmtPtr>> idle_;
};

// ---- Statement ----

Statement::~Statement() {
  if (!stmt_) return;
  if (auto cache = cache_.lock()) cache->give_back(std::move(sql_), std::move(stmt_));
}

Statement& Statement::bind(int index, std::string_view text) {
  // A null data pointer would bind NULL; an empty string must stay an empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  const int rc =
      sqlite3_bind_text64(stmt_.get(), index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) {
    throw_sqlite(sqlite3_db_handle(stmt_.get()), rc, "Cannot bind a text parameter");
  }
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) {
    throw_sqlite(sqlite3_db_handle(stmt_.get()), rc, "Cannot bind an integer parameter");
  }
  return *this;
}

Statement& Statement::bind(int index, std::span<const unsigned char> blob) {
  static const unsigned char kEmpty = 0;
  const void* data = blob.data() != nullptr ? blob.data() : &kEmpty;
  const int rc = sqlite3_bind_blob64(stmt_.get(), index, data, blob.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) {
    throw_sqlite(sqlite3_db_handle(stmt_.get()), rc, "Cannot bind a blob parameter");
  }
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) {
    throw_sqlite(sqlite3_db_handle(stmt_.get()), rc, "Cannot bind a NULL parameter");
  }
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  throw_sqlite(sqlite3_db_handle(stmt_.get()), rc, "Database error");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  // sqlite3_reset repeats the last step's error, which step() has already reported.
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(stmt_.get(), column);
  if (data == nullptr) {
    return {};
  }
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return text(column);
}

std::int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::vector<unsigned char> Statement::blob(int column) const {
  const auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_.get(), column));
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return std::vector<unsigned char>(data, data + size);
}

// ---- Connection ----

Connection::Connection(SqlitePtr db)
    : db_(std::move(db)), cache_(std::make_shared<StatementCache>()) {}

Connection Connection::open_with(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  // FULLMUTEX: the store serialises its own calls, but a connection shared by mistake must
  // still not corrupt SQLite's state.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  SqlitePtr db(raw);  // owned even on failure: open_v2 allocates a handle for the message
  if (rc != SQLITE_OK) {
    throw_sqlite(db.get(), rc, "Cannot open the database " + file.string());
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  return Connection(std::move(db));
}

Connection Connection::open(const std::filesystem::path& file) {
  Connection connection = open_with(file);
  // WAL: readers never block the writer and a crash mid-commit leaves the file intact. The
  // mode is stored in the file, so this also reads the header (a non-database fails here).
  // Switching a new file to WAL needs an exclusive lock, and SQLite reports SQLITE_BUSY at once
  // instead of calling the busy handler when another connection is switching or migrating it
  // at the same moment (deadlock avoidance); so wait here for up to the busy timeout.
  std::string mode;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    try {
      mode = connection.query_text("PRAGMA journal_mode=WAL");
      break;
    } catch (const Error& e) {
      const int rc = sqlite3_errcode(connection.handle()) & 0xff;  // the primary code
      if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
          std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      throw Error(e.code(), "Cannot open the database " + file.string() + ": " +
                                sqlite3_errmsg(connection.handle()));
    }
  }
  if (mode != "wal") {
    throw Error(ErrorCode::storage_failure,
                "Cannot switch the database " + file.string() + " to WAL mode (got " + mode + ")");
  }
  // synchronous=NORMAL in WAL mode: a commit is durable once it is in the WAL file, so no
  // application crash loses it; only a power loss or OS crash may roll back the last commits,
  // and never corrupts the database. It saves an fsync per transaction.
  connection.exec(
      "PRAGMA foreign_keys=ON;"
      "PRAGMA synchronous=NORMAL;");
  if (connection.query_text("PRAGMA foreign_keys") != "1") {
    throw Error(ErrorCode::internal, "This SQLite build does not enforce foreign keys");
  }
  return connection;
}

Connection Connection::open_plain(const std::filesystem::path& file) {
  return open_with(file);
}

Statement Connection::prepare(std::string_view sql) {
  std::string text(sql);
  if (SqliteStmtPtr cached = cache_->take(text)) return Statement(std::move(cached), cache_, text);
  sqlite3_stmt* raw = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  SqliteStmtPtr stmt(raw);
  if (rc != SQLITE_OK) {
    throw_sqlite(db_.get(), rc, "Cannot prepare `" + std::string(sql) + "`");
  }
  if (!stmt) {
    throw Error(ErrorCode::internal, "Empty SQL statement");
  }
  return Statement(std::move(stmt), cache_, std::move(text));
}

void Connection::exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs a terminated string
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    throw_sqlite(db_.get(), rc, "Database error");
  }
}

std::string Connection::query_text(std::string_view sql) {
  Statement statement = prepare(sql);
  return statement.step() ? statement.text(0) : std::string();
}

void Connection::set_busy_timeout(std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(db_.get(), static_cast<int>(timeout.count()));
}

std::int64_t Connection::last_insert_rowid() const noexcept {
  return sqlite3_last_insert_rowid(db_.get());
}

std::int64_t Connection::changes() const noexcept {
  return sqlite3_changes64(db_.get());
}

bool Connection::in_transaction() const noexcept {
  return sqlite3_get_autocommit(db_.get()) == 0;
}

// ---- Transaction ----

Transaction::Transaction(Connection& connection)
    : connection_(&connection), nested_(connection.in_transaction()) {
  connection_->exec(nested_ ? "SAVEPOINT smime_nested" : "BEGIN IMMEDIATE");
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(other.connection_), nested_(other.nested_), done_(other.done_) {
  other.done_ = true;
}

Transaction::~Transaction() {
  // SQLite itself rolls the whole transaction back after some errors (disk full, I/O); then
  // there is nothing left to undo. Errors are ignored: a destructor cannot report them.
  if (done_ || !connection_->in_transaction()) {
    return;
  }
  const char* sql = nested_ ? "ROLLBACK TO smime_nested; RELEASE smime_nested" : "ROLLBACK";
  sqlite3_exec(connection_->handle(), sql, nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  if (done_) {
    throw Error(ErrorCode::internal, "Transaction committed twice");
  }
  connection_->exec(nested_ ? "RELEASE smime_nested" : "COMMIT");
  done_ = true;
}

}  // namespace smime::sqlite
