// The audit tables in a PostgreSQL database shared by several nodes. The chain is held by
// locking its head row (SELECT ... FOR UPDATE) first in every appending transaction, so two
// nodes appending at once extend one chain, one after the other; a commit returns once its WAL
// is flushed (synchronous_commit stays on), so an acknowledged entry is durable. A read
// snapshot is a REPEATABLE READ READ ONLY transaction, which never waits for writers.
#include <libpq-fe.h>

#include <array>

#include "audit_table.hpp"
#include "entry_codec.hpp"
#include "smime/common/error.hpp"
#include "smime/postgres/array_literal.hpp"
#include "smime/postgres/database.hpp"
#include "smime/postgres/error.hpp"

namespace smime::audit::detail {
namespace {

constexpr const char* kAppendSql =
    "WITH added AS ("
    " INSERT INTO audit_log (id, at_ms, actor, direction, operation, status, message_id,"
    " addresses, fingerprints, detail, needs, previous_hash, hash, signatures)"
    " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],"
    " $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
    " $13::text[], $14::text[])), counted AS ("
    " INSERT INTO audit_counts (direction, operation, status, entries)"
    " SELECT * FROM unnest($15::text[], $16::text[], $17::text[], $18::bigint[])"
    " ON CONFLICT (direction, operation, status)"
    " DO UPDATE SET entries = audit_counts.entries + EXCLUDED.entries)"
    " UPDATE audit_head SET last_id = $19, entries = $20, hash = $21 WHERE id = 1";

using postgres::Connection;
using postgres::Params;
using postgres::Result;

// Rows read per round trip when walking the whole log (verify): bounded memory at any size.
constexpr int kWalkPage = 1000;

const SqlDialect& postgres_dialect() {
  static const SqlDialect dialect{[](int n) { return "$" + std::to_string(n); },
                                  [](std::string_view column, const std::string& parameter) {
                                    return "strpos(lower(" + std::string(column) + "), " +
                                           parameter + ") > 0";
                                  }};
  return dialect;
}

Params params_of(const SqlCondition& condition) {
  Params params;
  for (const auto& value : condition.parameters) {
    std::visit([&](const auto& v) { params.add(v); }, value);
  }
  return params;
}

StoredRow read_row(const Result& rows, int i) {
  StoredRow out;
  out.id = rows.int64(i, 0);
  out.at_ms = rows.int64(i, 1);
  out.actor = rows.text(i, 2);
  out.direction = rows.text(i, 3);
  out.operation = rows.text(i, 4);
  out.status = rows.text(i, 5);
  out.message_id = rows.text(i, 6);
  out.addresses = rows.text(i, 7);
  out.fingerprints = rows.text(i, 8);
  out.detail = rows.text(i, 9);
  out.needs = rows.text(i, 10);
  out.previous_hash = rows.text(i, 11);
  out.hash = rows.text(i, 12);
  out.signatures = rows.text(i, 13);
  return out;
}

ChainHead head_from(const Result& result) {
  if (result.empty()) {
    throw Error(ErrorCode::internal, "The audit log head is missing (database not migrated?)");
  }
  return ChainHead{result.int64(0, 0), result.int64(0, 1), result.text(0, 2)};
}

class PostgresAuditTable final : public AuditTable {
 public:
  // Borrowed: the shared database's connection of this thread's transaction.
  explicit PostgresAuditTable(Connection& connection) : db_(&connection) {}
  // Owned: a connection of the log's own.
  explicit PostgresAuditTable(Connection&& owned)
      : owned_(std::make_unique<Connection>(std::move(owned))), db_(owned_.get()) {}

  const SqlDialect& dialect() const override { return postgres_dialect(); }

  void in_write_transaction(const std::function<void()>& body) override {
    reopen_when_lost();
    postgres::run_transaction(*db_, [&](Connection&) { body(); });
  }

  void in_read_snapshot(const std::function<void()>& body) override {
    first_statement([&] { db_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); });
    try {
      body();
    } catch (...) {
      if (db_->alive()) db_->exec("ROLLBACK");
      throw;
    }
    db_->exec("ROLLBACK");
  }

  ChainHead locked_head() override {
    return head_from(
        db_->execute("SELECT last_id, entries, hash FROM audit_head WHERE id = 1 FOR UPDATE"));
  }

  ChainHead head() override {
    return head_from(first_statement([&] {
      return db_->execute("SELECT last_id, entries, hash FROM audit_head WHERE id = 1");
    }));
  }

  // One statement, one round trip, whatever the batch size: the rows as arrays (unnest), the
  // counts upserted (one per kind, so no row is hit twice) and the head moved.
  void append(const Appended& appended) override {
    std::vector<std::int64_t> ids, times;
    std::array<std::vector<std::string>, 12> text;  // actor .. signatures, in column order
    for (const StoredRow& row : appended.rows) {
      ids.push_back(row.id);
      times.push_back(row.at_ms);
      const std::array<const std::string*, 12> fields = {
          &row.actor,      &row.direction,     &row.operation,    &row.status,
          &row.message_id, &row.addresses,     &row.fingerprints, &row.detail,
          &row.needs,      &row.previous_hash, &row.hash,         &row.signatures};
      for (std::size_t f = 0; f < fields.size(); ++f) text[f].push_back(*fields[f]);
    }
    std::array<std::vector<std::string>, 3> kinds;
    std::vector<std::int64_t> counts;
    for (const KindCount& count : appended.counts) {
      kinds[0].push_back(count.direction);
      kinds[1].push_back(count.operation);
      kinds[2].push_back(count.status);
      counts.push_back(count.entries);
    }
    Params params;
    params.add(postgres::to_array_literal(ids)).add(postgres::to_array_literal(times));
    for (const auto& column : text) params.add(postgres::to_array_literal(column));
    for (const auto& column : kinds) params.add(postgres::to_array_literal(column));
    params.add(postgres::to_array_literal(counts))
        .add(appended.head.last_id)
        .add(appended.head.entries)
        .add(appended.head.hash);
    db_->execute(kAppendSql, params);
  }

  void rows(const SqlCondition& condition, bool newest_first,
            std::optional<std::pair<int, int>> limit_offset,
            const std::function<bool(const StoredRow&)>& visit) override {
    const std::string select =
        "SELECT " + std::string(kEntryColumns) + " FROM audit_log" + condition.sql;
    const std::string order = newest_first ? " ORDER BY id DESC" : " ORDER BY id";
    const int next = static_cast<int>(condition.parameters.size()) + 1;
    if (limit_offset) {
      Params params = params_of(condition);
      params.add(limit_offset->first).add(limit_offset->second);
      const Result result = first_statement([&] {
        return db_->execute(select + order + " LIMIT $" + std::to_string(next) + " OFFSET $" +
                                std::to_string(next + 1),
                            params);
      });
      for (int i = 0; i < result.rows(); ++i) {
        if (!visit(read_row(result, i))) return;
      }
      return;
    }
    // The whole selection, a page at a time, each page after the last id seen.
    const std::string page_sql = select + " AND id " + (newest_first ? "<" : ">") + " $" +
                                 std::to_string(next) + order + " LIMIT " +
                                 std::to_string(kWalkPage);
    std::int64_t after = newest_first ? INT64_MAX : INT64_MIN;
    for (bool first = true;; first = false) {
      Params params = params_of(condition);
      params.add(after);
      const auto page = [&] { return db_->execute(page_sql, params); };
      const Result result = first ? first_statement(page) : page();
      for (int i = 0; i < result.rows(); ++i) {
        StoredRow row = read_row(result, i);
        after = row.id;
        if (!visit(row)) return;
      }
      if (result.rows() < kWalkPage) return;
    }
  }

  std::int64_t count_rows(const SqlCondition& condition) override {
    return first_statement([&] {
             return db_->execute("SELECT count(*) FROM audit_log" + condition.sql,
                                 params_of(condition));
           })
        .int64(0, 0);
  }

  std::int64_t counted(const SqlCondition& condition) override {
    return first_statement([&] {
             return db_->execute(
                 "SELECT coalesce(sum(entries), 0) FROM audit_counts" + condition.sql,
                 params_of(condition));
           })
        .int64(0, 0);
  }

  std::optional<std::int64_t> id_with_hash(std::string_view hash) override {
    const Result result =
        db_->execute("SELECT id FROM audit_log WHERE hash = $1 LIMIT 1", Params().add(hash));
    if (result.empty()) return std::nullopt;
    return result.int64(0, 0);
  }

  std::optional<std::string> hash_of(std::int64_t id) override {
    const Result result =
        db_->execute("SELECT hash FROM audit_log WHERE id = $1", Params().add(id));
    if (result.empty()) return std::nullopt;
    return result.text(0, 0);
  }

 private:
  // The log's own connections outlive a restart of the server: reconnect before the next use
  // (never inside a transaction, where the borrowed connection's owner decides).
  void reopen_when_lost() {
    if (owned_ && !db_->in_transaction() && !db_->alive()) db_->reconnect();
  }

  // The first statement of a read: a connection found lost only now (libpq may not have seen
  // the server's goodbye yet) is reopened and the statement sent once more; nothing was read
  // before it, so repeating it is safe.
  template <class F>
  auto first_statement(F&& statement) -> decltype(statement()) {
    reopen_when_lost();
    const bool may_repeat = owned_ && !db_->in_transaction();
    try {
      return statement();
    } catch (const postgres::PostgresError& e) {
      if (!may_repeat || !e.connection_lost()) throw;
    }
    db_->reconnect();
    return statement();
  }

  std::unique_ptr<Connection> owned_;
  Connection* db_;
};

class PostgresAuditBackend final : public AuditBackend {
 public:
  explicit PostgresAuditBackend(std::shared_ptr<postgres::Database> database)
      : database_(std::move(database)) {}

  std::unique_ptr<AuditTable> open_writer() override {
    return std::make_unique<PostgresAuditTable>(database_->open_connection());
  }

  std::unique_ptr<AuditTable> open_reader() override {
    return std::make_unique<PostgresAuditTable>(database_->open_connection());
  }

  void in_shared_transaction(const std::function<void(AuditTable&)>& body) override {
    database_->in_transaction([&](Connection& connection) {
      PostgresAuditTable table(connection);
      body(table);
    });
  }

 private:
  std::shared_ptr<postgres::Database> database_;
};

}  // namespace

std::unique_ptr<AuditBackend> postgres_backend(std::shared_ptr<postgres::Database> database) {
  return std::make_unique<PostgresAuditBackend>(std::move(database));
}

}  // namespace smime::audit::detail
