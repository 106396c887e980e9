// Verification of the audit log's hash chain: every row's hash, every row's link to the row
// before it, and the recorded head. The first break is reported with a classification.
#include <optional>

#include "audit_internal.hpp"
#include "entry_codec.hpp"
#include "hash_chain.hpp"
#include "smime/common/error.hpp"

namespace smime::audit::detail {
namespace {

// How far from its current id a renumbered row's original id is searched for.
constexpr std::int64_t kRenumberSearch = 10'000;

// A deferred read transaction: one consistent snapshot of the WAL file for the whole walk,
// without taking the write lock (record() in other threads and processes carries on).
class ReadSnapshot {
 public:
  explicit ReadSnapshot(sqlite::Connection& db) : db_(db) { db_.exec("BEGIN DEFERRED"); }
  ~ReadSnapshot() {
    if (db_.in_transaction()) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite::Connection& db_;
};

std::optional<std::int64_t> id_with_hash(sqlite::Connection& db, const std::string& hash) {
  sqlite::Statement query = db.prepare("SELECT id FROM audit_log WHERE hash = ?1 LIMIT 1");
  query.bind(1, hash);
  if (query.step()) return query.int64(0);
  return std::nullopt;
}

// The id under which a row's contents were hashed, when it is not its current id.
std::optional<std::int64_t> original_id(const AuditEntry& entry) {
  for (std::int64_t distance = 1; distance <= kRenumberSearch; ++distance) {
    for (std::int64_t candidate : {entry.id + distance, entry.id - distance}) {
      if (candidate >= 1 && entry_hash(candidate, entry.event, entry.previous_hash) == entry.hash) {
        return candidate;
      }
    }
  }
  return std::nullopt;
}

std::string range(std::int64_t first, std::int64_t last) {
  return first == last ? "row " + std::to_string(first)
                       : "rows " + std::to_string(first) + " to " + std::to_string(last);
}

VerifyReport broken(VerifyReport report, ChainProblem problem, std::int64_t id,
                    std::string reason) {
  report.intact = false;
  report.problem = problem;
  report.broken_id = id;
  report.reason = std::move(reason);
  return report;
}

// A row whose link to the row before it is wrong (`previous_id` is 0 for the first row).
VerifyReport broken_link(VerifyReport report, sqlite::Connection& db, const AuditEntry& entry,
                         bool content_ok, std::int64_t previous_id) {
  const std::string id = std::to_string(entry.id);
  if (auto other = id_with_hash(db, entry.previous_hash); other && *other != entry.id) {
    return broken(std::move(report), ChainProblem::reordered, entry.id,
                  "row " + id + " is out of order: it was written after row " +
                      std::to_string(*other) + ", not after " +
                      (previous_id == 0 ? std::string("the start of the log")
                                        : "row " + std::to_string(previous_id)));
  }
  if (entry.id > previous_id + 1) {
    return broken(std::move(report), ChainProblem::deleted, previous_id + 1,
                  range(previous_id + 1, entry.id - 1) + " deleted: row " + id +
                      " was written after a row that is gone");
  }
  if (!content_ok) {
    if (auto original = original_id(entry); original && *original > entry.id) {
      return broken(std::move(report), ChainProblem::deleted, entry.id,
                    "rows deleted before row " + id + " and the later rows renumbered (row " + id +
                        " was row " + std::to_string(*original) + ")");
    }
    return broken(std::move(report), ChainProblem::edited, entry.id,
                  "row " + id + " was edited: its link to the previous row was changed");
  }
  // A consistent row chained to a hash no row has: the row before it was rewritten with a
  // recomputed hash, or rows were deleted and the rest renumbered and rehashed.
  return broken(std::move(report), ChainProblem::edited, previous_id,
                "row " + std::to_string(previous_id) + " was rewritten (row " + id +
                    " was chained to a different version of it) or rows before row " + id +
                    " were replaced");
}

VerifyReport broken_content(VerifyReport report, const AuditEntry& entry) {
  const std::string id = std::to_string(entry.id);
  if (auto original = original_id(entry)) {
    return broken(std::move(report), ChainProblem::reordered, entry.id,
                  "row " + id + " was moved: it was written as row " + std::to_string(*original));
  }
  return broken(std::move(report), ChainProblem::edited, entry.id,
                "row " + id + " was edited: its fields do not match its hash");
}

struct Head {
  std::int64_t last_id = 0;
  std::int64_t entries = 0;
  std::string hash;
};

Head read_head(sqlite::Connection& db) {
  sqlite::Statement query =
      db.prepare("SELECT last_id, entries, hash FROM audit_head WHERE id = 1");
  if (!query.step()) {
    throw Error(ErrorCode::internal, "The audit log head is missing (database not migrated?)");
  }
  return Head{query.int64(0), query.int64(1), query.text(2)};
}

VerifyReport check_head(VerifyReport report, const Head& head) {
  // Read what the messages need before the report is moved into the answer.
  const std::int64_t last = report.last_id;
  const std::int64_t entries = report.entries;
  if (head.last_id > last) {
    return broken(std::move(report), ChainProblem::deleted, last + 1,
                  range(last + 1, head.last_id) + " deleted: the log's head records row " +
                      std::to_string(head.last_id) + " as the newest");
  }
  if (head.last_id < last) {
    return broken(std::move(report), ChainProblem::inserted, head.last_id + 1,
                  range(head.last_id + 1, last) +
                      " added outside the audit log: the head records row " +
                      std::to_string(head.last_id) + " as the newest");
  }
  if (head.hash != report.head_hash) {
    return broken(std::move(report), ChainProblem::edited, last,
                  "the log's head does not match row " + std::to_string(last) +
                      " (the row or the head was changed)");
  }
  if (head.entries != entries) {
    const bool fewer = entries < head.entries;
    return broken(std::move(report), fewer ? ChainProblem::deleted : ChainProblem::inserted, 0,
                  "the log's head records " + std::to_string(head.entries) +
                      " entries, the table has " + std::to_string(entries));
  }
  return report;
}

VerifyReport check_anchor(VerifyReport report, sqlite::Connection& db,
                          const std::pair<std::int64_t, std::string>& anchor) {
  const auto& [id, hash] = anchor;
  sqlite::Statement query = db.prepare("SELECT hash FROM audit_log WHERE id = ?1");
  query.bind(1, id);
  if (!query.step()) {
    return broken(std::move(report), ChainProblem::deleted, id,
                  "the anchor row " + std::to_string(id) + " is gone");
  }
  if (query.text(0) != hash) {
    return broken(std::move(report), ChainProblem::edited, id,
                  "row " + std::to_string(id) +
                      " does not have the anchored hash: the log was rewritten up to it");
  }
  return report;
}

}  // namespace

VerifyReport verify_chain(sqlite::Connection& db, const VerifyOptions& options) {
  ReadSnapshot snapshot(db);
  const Head head = read_head(db);
  VerifyReport report;
  sqlite::Statement rows =
      db.prepare("SELECT " + std::string(kEntryColumns) + " FROM audit_log ORDER BY id");
  std::int64_t previous_id = 0;
  std::string previous_hash(kGenesisHash);
  while (rows.step()) {
    AuditEntry entry;
    try {
      entry = read_entry(rows);
    } catch (const Error&) {
      const std::int64_t id = rows.int64(0);
      return broken(std::move(report), ChainProblem::edited, id,
                    "row " + std::to_string(id) + " was edited: a column no longer decodes");
    }
    const bool content_ok = entry_hash(entry.id, entry.event, entry.previous_hash) == entry.hash;
    if (entry.previous_hash != previous_hash) {
      return broken_link(std::move(report), db, entry, content_ok, previous_id);
    }
    if (!content_ok) return broken_content(std::move(report), entry);
    previous_id = entry.id;
    previous_hash = entry.hash;
    ++report.entries;
    report.last_id = entry.id;
    report.head_hash = entry.hash;
  }
  report = check_head(std::move(report), head);
  if (report.intact && options.anchor)
    report = check_anchor(std::move(report), db, *options.anchor);
  return report;
}

}  // namespace smime::audit::detail
