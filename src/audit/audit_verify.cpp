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
VerifyReport broken_link(VerifyReport report, AuditTable& table, const AuditEntry& entry,
                         bool content_ok, std::int64_t previous_id) {
  const std::string id = std::to_string(entry.id);
  if (auto other = table.id_with_hash(entry.previous_hash); other && *other != entry.id) {
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

VerifyReport check_head(VerifyReport report, const ChainHead& head) {
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

VerifyReport check_anchor(VerifyReport report, AuditTable& table,
                          const std::pair<std::int64_t, std::string>& anchor) {
  const auto& [id, hash] = anchor;
  const std::optional<std::string> stored = table.hash_of(id);
  if (!stored) {
    return broken(std::move(report), ChainProblem::deleted, id,
                  "the anchor row " + std::to_string(id) + " is gone");
  }
  if (*stored != hash) {
    return broken(std::move(report), ChainProblem::edited, id,
                  "row " + std::to_string(id) +
                      " does not have the anchored hash: the log was rewritten up to it");
  }
  return report;
}

// The chain walked from its first row; the report so far, or the first break.
VerifyReport walk_rows(AuditTable& table) {
  VerifyReport report;
  std::optional<VerifyReport> failure;
  std::int64_t previous_id = 0;
  std::string previous_hash(kGenesisHash);
  table.rows(SqlCondition{" WHERE 1 = 1", {}}, /*newest_first=*/false, std::nullopt,
             [&](const StoredRow& row) {
               AuditEntry entry;
               try {
                 entry = decode_row(row);
               } catch (const Error&) {
                 failure = broken(
                     std::move(report), ChainProblem::edited, row.id,
                     "row " + std::to_string(row.id) + " was edited: a column no longer decodes");
                 return false;
               }
               const bool content_ok =
                   entry_hash(entry.id, entry.event, entry.previous_hash) == entry.hash;
               if (entry.previous_hash != previous_hash) {
                 failure = broken_link(std::move(report), table, entry, content_ok, previous_id);
                 return false;
               }
               if (!content_ok) {
                 failure = broken_content(std::move(report), entry);
                 return false;
               }
               previous_id = entry.id;
               previous_hash = entry.hash;
               ++report.entries;
               report.last_id = entry.id;
               report.head_hash = entry.hash;
               return true;
             });
  return failure ? std::move(*failure) : report;
}

}  // namespace

VerifyReport verify_chain(AuditTable& table, const VerifyOptions& options) {
  VerifyReport report;
  // One consistent snapshot for the whole walk, without holding back writers.
  table.in_read_snapshot([&] {
    const ChainHead head = table.head();
    report = walk_rows(table);
    if (!report.intact) return;
    report = check_head(std::move(report), head);
    if (report.intact && options.anchor) {
      report = check_anchor(std::move(report), table, *options.anchor);
    }
  });
  return report;
}

}  // namespace smime::audit::detail
