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

namespace detail {

SqlCondition filter_condition(const AuditQuery& query, const SqlDialect& dialect) {
  SqlCondition condition = kind_condition(query, dialect);
  const auto add = [&](std::string_view sql, auto value) {
    condition.parameters.emplace_back(std::move(value));
    condition.sql +=
        std::string(sql) + dialect.parameter(static_cast<int>(condition.parameters.size()));
  };
  if (!query.address.empty()) {
    condition.parameters.emplace_back(ascii_lower(query.address));
    condition.sql += " AND " + dialect.contains("addresses", dialect.parameter(static_cast<int>(
                                                                 condition.parameters.size())));
  }
  if (!query.actor.empty()) add(" AND actor = ", query.actor);
  if (!query.message_id.empty()) add(" AND message_id = ", query.message_id);
  if (query.since_ms > 0) add(" AND at_ms >= ", std::int64_t{query.since_ms});
  if (query.retryable_only) {
    condition.sql += " AND direction = 'incoming' AND status = 'failed' AND needs <> '[]'";
  }
  return condition;
}

SqlCondition kind_condition(const AuditQuery& query, const SqlDialect& dialect) {
  SqlCondition condition{" WHERE 1 = 1", {}};
  const auto add = [&](std::string_view sql, std::string value) {
    condition.parameters.emplace_back(std::move(value));
    condition.sql +=
        std::string(sql) + dialect.parameter(static_cast<int>(condition.parameters.size()));
  };
  if (query.direction) add(" AND direction = ", std::string(to_string(*query.direction)));
  if (!query.operation.empty()) add(" AND operation = ", query.operation);
  if (query.status) add(" AND status = ", std::string(to_string(*query.status)));
  return condition;
}

}  // namespace detail

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

std::vector<AuditEntry> list_entries(AuditTable& table, const AuditQuery& query,
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
  // Retryable is decided per row here, so paging happens below instead of in SQL.
  std::optional<std::pair<int, int>> page;
  if (!query.retryable_only) page = std::pair{query.limit, query.offset};

  std::vector<AuditEntry> entries;
  int skipped = 0;
  table.rows(filter_condition(query, table.dialect()), /*newest_first=*/true, page,
             [&](const StoredRow& row) {
               AuditEntry entry;
               try {
                 entry = decode_row(row);
               } catch (const Error&) {
                 // A row edited into something undecodable: shown as far as it goes; verify
                 // names it.
                 entry.id = row.id;
                 entry.event.at_ms = row.at_ms;
                 entry.event.actor = row.actor;
                 entry.event.operation = row.operation;
                 entry.event.detail = "(this entry does not decode: run smimectl log verify)";
                 entry.hash = row.hash;
               }
               if (store != nullptr && may_be_retryable(entry)) {
                 entry.retryable = needs_satisfied(entry.event.needs, *store);
               }
               if (query.retryable_only) {
                 if (!entry.retryable) return true;
                 if (skipped < query.offset) {
                   ++skipped;
                   return true;
                 }
               }
               entries.push_back(std::move(entry));
               return static_cast<int>(entries.size()) < query.limit;
             });
  return entries;
}

std::int64_t count_entries(AuditTable& table, const AuditQuery& query) {
  return table.count_rows(filter_condition(query, table.dialect()));
}

std::optional<std::int64_t> known_count(AuditTable& table, const AuditQuery& query) {
  const bool by_kind_only = query.address.empty() && query.actor.empty() &&
                            query.message_id.empty() && query.since_ms <= 0 &&
                            !query.retryable_only;
  if (!by_kind_only) return std::nullopt;
  return table.counted(kind_condition(query, table.dialect()));
}

}  // namespace detail
}  // namespace smime::audit
