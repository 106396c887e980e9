// Listing audit entries (newest first, filtered) and the "retryable" marking of failed
// incoming entries, computed at list time from their needs against the store.
#include <algorithm>
#include <cctype>

#include "audit_internal.hpp"
#include "entry_codec.hpp"
#include "smime/common/error.hpp"
#include "smime/common/text.hpp"

namespace smime::audit {
namespace {

// WHERE clause with fixed parameter numbers (?1..?7); unused ones are not referenced.
std::string where_clause(const AuditQuery& query) {
  std::string sql = " WHERE 1";
  if (query.direction) sql += " AND direction = ?1";
  if (!query.operation.empty()) sql += " AND operation = ?2";
  if (query.status) sql += " AND status = ?3";
  if (!query.address.empty()) sql += " AND instr(lower(addresses), ?4) > 0";
  if (!query.actor.empty()) sql += " AND actor = ?5";
  if (!query.message_id.empty()) sql += " AND message_id = ?6";
  if (query.since_ms > 0) sql += " AND at_ms >= ?7";
  if (query.retryable_only) {
    sql += " AND direction = 'incoming' AND status = 'failed' AND needs <> '[]'";
  }
  return sql;
}

void bind_filters(sqlite::Statement& statement, const AuditQuery& query) {
  if (query.direction) statement.bind(1, to_string(*query.direction));
  if (!query.operation.empty()) statement.bind(2, query.operation);
  if (query.status) statement.bind(3, to_string(*query.status));
  if (!query.address.empty()) statement.bind(4, ascii_lower(query.address));
  if (!query.actor.empty()) statement.bind(5, query.actor);
  if (!query.message_id.empty()) statement.bind(6, query.message_id);
  if (query.since_ms > 0) statement.bind(7, query.since_ms);
}

bool may_be_retryable(const AuditEntry& entry) {
  return entry.event.direction == Direction::incoming && entry.event.status == Status::failed &&
         !entry.event.needs.empty();
}

// A stored certificate (with a token key when with_key) that `need` identifies.
bool stored(store::Store& store, const Need& need, bool with_key) {
  const auto found = [&](const auto& narrow) {
    store::CertificateQuery query;
    query.limit = 1;
    if (with_key) query.has_key = true;
    narrow(query);
    return !store.find_certificates(query).empty();
  };
  if (!need.issuer.empty() && !need.serial.empty() && found([&](store::CertificateQuery& q) {
        q.issuer = need.issuer;
        q.serial = need.serial;
      })) {
    return true;
  }
  if (!need.subject_key_id.empty()) {
    return found([&](store::CertificateQuery& q) { q.subject_key_id = need.subject_key_id; });
  }
  if (!need.subject.empty() && need.serial.empty()) {
    return found([&](store::CertificateQuery& q) { q.subject = need.subject; });
  }
  return false;
}

}  // namespace

bool needs_satisfied(const std::vector<std::string>& needs, store::Store& store) {
  if (needs.empty()) return false;
  bool wants_key = false;
  bool has_key = false;
  for (const std::string& text : needs) {
    const std::optional<Need> need = parse_need(text);
    if (!need) return false;  // free-form: nothing to check it against
    if (need->kind == "key") {
      wants_key = true;
      has_key = has_key || stored(store, *need, /*with_key=*/true);
    } else if (!stored(store, *need, /*with_key=*/false)) {
      return false;
    }
  }
  return !wants_key || has_key;
}

namespace detail {

std::vector<AuditEntry> list_entries(sqlite::Connection& db, const AuditQuery& query,
                                     store::Store* store) {
  if (query.limit < 1 || query.limit > kMaxListLimit) {
    throw Error(ErrorCode::invalid_input,
                "The limit must be between 1 and " + std::to_string(kMaxListLimit));
  }
  if (query.offset < 0) {
    throw Error(ErrorCode::invalid_input, "The offset cannot be negative");
  }
  if (query.retryable_only && store == nullptr) {
    throw Error(ErrorCode::internal, "Listing retryable entries needs the store");
  }
  std::string sql = "SELECT " + std::string(kEntryColumns) + " FROM audit_log" +
                    where_clause(query) + " ORDER BY id DESC";
  // Retryable is decided per row here, so paging happens below instead of in SQL.
  if (!query.retryable_only) sql += " LIMIT ?8 OFFSET ?9";
  sqlite::Statement statement = db.prepare(sql);
  bind_filters(statement, query);
  if (!query.retryable_only) statement.bind(8, query.limit).bind(9, query.offset);

  std::vector<AuditEntry> entries;
  int skipped = 0;
  while (statement.step()) {
    AuditEntry entry;
    try {
      entry = read_entry(statement);
    } catch (const Error&) {
      // A row edited into something undecodable: shown as far as it goes; verify names it.
      entry.id = statement.int64(0);
      entry.event.at_ms = statement.int64(1);
      entry.event.actor = statement.text(2);
      entry.event.operation = statement.text(4);
      entry.event.detail = "(this entry does not decode: run smimectl log verify)";
      entry.hash = statement.text(12);
    }
    if (store != nullptr && may_be_retryable(entry)) {
      entry.retryable = needs_satisfied(entry.event.needs, *store);
    }
    if (query.retryable_only) {
      if (!entry.retryable) continue;
      if (skipped < query.offset) {
        ++skipped;
        continue;
      }
    }
    entries.push_back(std::move(entry));
    if (static_cast<int>(entries.size()) >= query.limit) break;
  }
  return entries;
}

std::int64_t count_entries(sqlite::Connection& db, const AuditQuery& query) {
  sqlite::Statement statement = db.prepare("SELECT count(*) FROM audit_log" + where_clause(query));
  bind_filters(statement, query);
  return statement.step() ? statement.int64(0) : 0;
}

std::optional<std::int64_t> known_count(sqlite::Connection& db, const AuditQuery& query) {
  const bool by_kind_only = query.address.empty() && query.actor.empty() &&
                            query.message_id.empty() && query.since_ms <= 0 &&
                            !query.retryable_only;
  if (!by_kind_only) return std::nullopt;
  std::string sql = "SELECT coalesce(sum(entries), 0) FROM audit_counts WHERE 1";
  if (query.direction) sql += " AND direction = ?1";
  if (!query.operation.empty()) sql += " AND operation = ?2";
  if (query.status) sql += " AND status = ?3";
  sqlite::Statement statement = db.prepare(sql);
  bind_filters(statement, query);
  return statement.step() ? statement.int64(0) : 0;
}

}  // namespace detail
}  // namespace smime::audit
