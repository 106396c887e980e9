// The audit tables in the appliance's SQLite file. A write transaction is IMMEDIATE (the
// file's write lock first, so the head read is the newest one of every process); the writer's
// connection syncs the WAL at every commit; a read snapshot is a DEFERRED transaction.
#include <sqlite3.h>

#include "audit_table.hpp"
#include "entry_codec.hpp"
#include "smime/common/error.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/sqlite/database.hpp"

namespace smime::audit::detail {
namespace {

const SqlDialect& sqlite_dialect() {
  static const SqlDialect dialect{[](int n) { return "?" + std::to_string(n); },
                                  [](std::string_view column, const std::string& parameter) {
                                    return "instr(lower(" + std::string(column) + "), " +
                                           parameter + ") > 0";
                                  }};
  return dialect;
}

void bind_all(sqlite::Statement& statement, const SqlCondition& condition) {
  int index = 1;
  for (const auto& value : condition.parameters) {
    std::visit([&](const auto& v) { statement.bind(index, v); }, value);
    ++index;
  }
}

// What a row holds, even when a column was edited into another type.
StoredRow read_row(const sqlite::Statement& row) {
  StoredRow out;
  out.id = row.int64(0);
  out.at_ms = row.int64(1);
  out.actor = row.text(2);
  out.direction = row.text(3);
  out.operation = row.text(4);
  out.status = row.text(5);
  out.message_id = row.text(6);
  out.addresses = row.text(7);
  out.fingerprints = row.text(8);
  out.detail = row.text(9);
  out.needs = row.text(10);
  out.previous_hash = row.text(11);
  out.hash = row.text(12);
  out.signatures = row.text(13);
  return out;
}

ChainHead read_head(sqlite::Connection& db) {
  sqlite::Statement query =
      db.prepare("SELECT last_id, entries, hash FROM audit_head WHERE id = 1");
  if (!query.step()) {
    throw Error(ErrorCode::internal, "The audit log head is missing (database not migrated?)");
  }
  return ChainHead{query.int64(0), query.int64(1), query.text(2)};
}

class SqliteAuditTable final : public AuditTable {
 public:
  // `db` is borrowed (the shared database's connection) or owned (the log's own).
  explicit SqliteAuditTable(sqlite::Connection& db) : db_(db) {}
  explicit SqliteAuditTable(sqlite::Connection&& owned)
      : owned_(std::make_unique<sqlite::Connection>(std::move(owned))), db_(*owned_) {}

  const SqlDialect& dialect() const override { return sqlite_dialect(); }

  void in_write_transaction(const std::function<void()>& body) override {
    sqlite::Transaction transaction(db_);
    body();
    transaction.commit();
  }

  void in_read_snapshot(const std::function<void()>& body) override {
    db_.exec("BEGIN DEFERRED");
    try {
      body();
    } catch (...) {
      sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  ChainHead locked_head() override { return read_head(db_); }  // IMMEDIATE holds the file
  ChainHead head() override { return read_head(db_); }

  void append(const Appended& appended) override {
    for (const StoredRow& row : appended.rows) insert(row);
    move_head(appended.head);
    for (const KindCount& count : appended.counts) add_count(count);
  }

  void rows(const SqlCondition& condition, bool newest_first,
            std::optional<std::pair<int, int>> limit_offset,
            const std::function<bool(const StoredRow&)>& visit) override {
    std::string sql = "SELECT " + std::string(kEntryColumns) + " FROM audit_log" + condition.sql +
                      (newest_first ? " ORDER BY id DESC" : " ORDER BY id");
    const int next = static_cast<int>(condition.parameters.size()) + 1;
    if (limit_offset) {
      sql += " LIMIT ?" + std::to_string(next) + " OFFSET ?" + std::to_string(next + 1);
    }
    sqlite::Statement statement = db_.prepare(sql);
    bind_all(statement, condition);
    if (limit_offset)
      statement.bind(next, limit_offset->first).bind(next + 1, limit_offset->second);
    while (statement.step()) {
      if (!visit(read_row(statement))) return;
    }
  }

  std::int64_t count_rows(const SqlCondition& condition) override {
    sqlite::Statement statement = db_.prepare("SELECT count(*) FROM audit_log" + condition.sql);
    bind_all(statement, condition);
    return statement.step() ? statement.int64(0) : 0;
  }

  std::int64_t counted(const SqlCondition& condition) override {
    sqlite::Statement statement =
        db_.prepare("SELECT coalesce(sum(entries), 0) FROM audit_counts" + condition.sql);
    bind_all(statement, condition);
    return statement.step() ? statement.int64(0) : 0;
  }

  std::optional<std::int64_t> id_with_hash(std::string_view hash) override {
    sqlite::Statement query = db_.prepare("SELECT id FROM audit_log WHERE hash = ?1 LIMIT 1");
    query.bind(1, hash);
    if (query.step()) return query.int64(0);
    return std::nullopt;
  }

  std::optional<std::string> hash_of(std::int64_t id) override {
    sqlite::Statement query = db_.prepare("SELECT hash FROM audit_log WHERE id = ?1");
    query.bind(1, id);
    if (query.step()) return query.text(0);
    return std::nullopt;
  }

 private:
  void insert(const StoredRow& row) {
    db_.prepare(
           "INSERT INTO audit_log (id, at_ms, actor, direction, operation, status, message_id, "
           "addresses, fingerprints, detail, needs, previous_hash, hash, signatures) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")
        .bind(1, row.id)
        .bind(2, row.at_ms)
        .bind(3, row.actor)
        .bind(4, row.direction)
        .bind(5, row.operation)
        .bind(6, row.status)
        .bind(7, row.message_id)
        .bind(8, row.addresses)
        .bind(9, row.fingerprints)
        .bind(10, row.detail)
        .bind(11, row.needs)
        .bind(12, row.previous_hash)
        .bind(13, row.hash)
        .bind(14, row.signatures)
        .run();
  }

  void move_head(const ChainHead& head) {
    db_.prepare("UPDATE audit_head SET last_id = ?1, entries = ?2, hash = ?3 WHERE id = 1")
        .bind(1, head.last_id)
        .bind(2, head.entries)
        .bind(3, head.hash)
        .run();
  }

  void add_count(const KindCount& count) {
    db_.prepare(
           "INSERT INTO audit_counts (direction, operation, status, entries) "
           "VALUES (?1, ?2, ?3, ?4) "
           "ON CONFLICT (direction, operation, status) DO UPDATE SET entries = entries + ?4")
        .bind(1, count.direction)
        .bind(2, count.operation)
        .bind(3, count.status)
        .bind(4, count.entries)
        .run();
  }

  std::unique_ptr<sqlite::Connection> owned_;
  sqlite::Connection& db_;
};

class SqliteAuditBackend final : public AuditBackend {
 public:
  explicit SqliteAuditBackend(std::shared_ptr<sqlite::Database> database)
      : database_(std::move(database)) {}

  std::unique_ptr<AuditTable> open_writer() override {
    sqlite::Connection connection = sqlite::Connection::open(database_->file());
    // In WAL mode FULL syncs the WAL at every commit: a committed entry survives a power loss,
    // not only a crash of the process (the store's NORMAL does not promise that).
    connection.exec("PRAGMA synchronous=FULL");
    return std::make_unique<SqliteAuditTable>(std::move(connection));
  }

  std::unique_ptr<AuditTable> open_reader() override {
    return std::make_unique<SqliteAuditTable>(sqlite::Connection::open(database_->file()));
  }

  void in_shared_transaction(const std::function<void(AuditTable&)>& body) override {
    database_->in_transaction([&](sqlite::Connection& db) {
      SqliteAuditTable table(db);
      body(table);
    });
  }

 private:
  std::shared_ptr<sqlite::Database> database_;
};

}  // namespace

std::unique_ptr<AuditBackend> sqlite_backend(std::shared_ptr<sqlite::Database> database) {
  return std::make_unique<SqliteAuditBackend>(std::move(database));
}

}  // namespace smime::audit::detail
