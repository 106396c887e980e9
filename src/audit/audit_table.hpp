// What the audit log reads and writes, apart from the database that holds it: the chain's
// rows, its head and the counts per kind. The chain logic (hashing, group commit, listing,
// verification) is written once over these interfaces; the SQLite file
// (sqlite_audit_table.cpp) is one implementation, a shared PostgreSQL database can be another.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "smime/audit/audit_log.hpp"

namespace smime::sqlite {
class Database;
}
namespace smime::postgres {
class Database;
}

namespace smime::audit::detail {

// One audit_log row as stored: list-valued fields are JSON text (entry_codec.hpp).
struct StoredRow {
  std::int64_t id = 0;
  std::int64_t at_ms = 0;
  std::string actor;
  std::string direction;
  std::string operation;
  std::string status;
  std::string message_id;
  std::string addresses;
  std::string fingerprints;
  std::string detail;
  std::string needs;
  std::string previous_hash;
  std::string hash;
  std::string signatures;  // JSON text; empty for entries without signature layers
};

// The newest row's id and hash and the number of rows, kept beside the rows so that deleting
// the newest ones is detected.
struct ChainHead {
  std::int64_t last_id = 0;
  std::int64_t entries = 0;
  std::string hash;
};

// How many entries of one kind a batch adds (audit_counts).
struct KindCount {
  std::string direction;
  std::string operation;
  std::string status;
  std::int64_t entries = 0;
};

// What one append writes: the new rows, the head after them, the counts by kind (one per
// kind).
struct Appended {
  std::vector<StoredRow> rows;
  ChainHead head;
  std::vector<KindCount> counts;
};

// A query's filters as an SQL condition with dense parameter numbers ($1.. or ?1..), built
// the same way for every database.
struct SqlCondition {
  std::string sql;  // " WHERE ..." (always present)
  std::vector<std::variant<std::string, std::int64_t>> parameters;
};

struct SqlDialect {
  // The text of parameter n (1-based): "?1" or "$1".
  std::function<std::string(int)> parameter;
  // A condition that `column`, lowercased, contains the parameter's text.
  std::function<std::string(std::string_view column, const std::string& parameter)> contains;
};

// The filters of `query` (direction .. since_ms, retryable_only) over audit_log's columns.
SqlCondition filter_condition(const AuditQuery& query, const SqlDialect& dialect);
// Only direction, operation and status: over audit_counts.
SqlCondition kind_condition(const AuditQuery& query, const SqlDialect& dialect);

// One connection's view of the audit tables.
class AuditTable {
 public:
  virtual ~AuditTable() = default;
  virtual const SqlDialect& dialect() const = 0;

  // Runs body in a durable write transaction that holds the chain: no other connection, in
  // this process or another, reads the head for writing or appends until it commits.
  virtual void in_write_transaction(const std::function<void()>& body) = 0;
  // Runs body in one consistent read snapshot that does not block writers.
  virtual void in_read_snapshot(const std::function<void()>& body) = 0;

  // Inside a write transaction: the head, locked for this transaction.
  virtual ChainHead locked_head() = 0;
  // Inside the same write transaction: writes the rows, moves the head and adds the counts
  // (on PostgreSQL in one statement, one round trip).
  virtual void append(const Appended& appended) = 0;

  // The head as last committed.
  virtual ChainHead head() = 0;
  // Rows matching `condition`, newest first (or oldest first), `limit` rows after skipping
  // `offset` (no paging when limit is nullopt); visit returns false to stop. A row whose
  // columns do not read as their types is still passed, with what could be read.
  virtual void rows(const SqlCondition& condition, bool newest_first,
                    std::optional<std::pair<int, int>> limit_offset,
                    const std::function<bool(const StoredRow&)>& visit) = 0;
  virtual std::int64_t count_rows(const SqlCondition& condition) = 0;
  // The sum of audit_counts' entries matching a kind_condition.
  virtual std::int64_t counted(const SqlCondition& condition) = 0;
  virtual std::optional<std::int64_t> id_with_hash(std::string_view hash) = 0;
  virtual std::optional<std::string> hash_of(std::int64_t id) = 0;
};

// The database the log lives in.
class AuditBackend {
 public:
  virtual ~AuditBackend() = default;
  // A connection of the log's own whose commits are durable when they return (the writer's).
  virtual std::unique_ptr<AuditTable> open_writer() = 0;
  // A connection of the log's own for reading.
  virtual std::unique_ptr<AuditTable> open_reader() = 0;
  // Runs body in the shared database's transaction (joining the one open on this thread), so
  // that an entry commits with the change it records.
  virtual void in_shared_transaction(const std::function<void(AuditTable&)>& body) = 0;
};

std::unique_ptr<AuditBackend> sqlite_backend(std::shared_ptr<sqlite::Database> database);
std::unique_ptr<AuditBackend> postgres_backend(std::shared_ptr<postgres::Database> database);

// Appends the events at the head of the chain (reading the head, inserting the rows, moving
// the head, counting them by kind) inside a write transaction of `table`. Returns the id of
// the last one.
std::int64_t append_entries(AuditTable& table, std::span<const AuditEvent* const> events);

}  // namespace smime::audit::detail
