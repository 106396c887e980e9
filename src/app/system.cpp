#include "smime/app/system.hpp"

#include <exception>

#include "audited.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"

namespace smime::app {

// ---- the audit log ----

LogPage LogUseCases::list(audit::AuditQuery query) {
  if (query.limit < 1 || query.limit > audit::kMaxListLimit) {
    throw Error(ErrorCode::invalid_input,
                "The limit must be between 1 and " + std::to_string(audit::kMaxListLimit));
  }
  LogPage page;
  const int limit = query.limit;
  // One more than asked tells whether there is a next page without counting the log.
  query.limit = limit < audit::kMaxListLimit ? limit + 1 : limit;
  page.entries = deps_.audit_reader.list(query, &deps_.store);
  if (static_cast<int>(page.entries.size()) > limit) {
    page.entries.resize(static_cast<std::size_t>(limit));
    page.more = true;
  }
  page.total = deps_.audit_reader.known_count(query);
  return page;
}

audit::VerifyReport LogUseCases::verify(const audit::VerifyOptions& options) {
  return deps_.audit_reader.verify(options);
}

// ---- health ----

Health HealthUseCases::check(std::chrono::milliseconds max_age) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!last_ || now - probed_at_ >= max_age) {
    last_ = probe();
    probed_at_ = now;
  }
  return *last_;
}

Health HealthUseCases::probe() {
  HealthCheck token{"token", false, ""};
  try {
    deps_.ping_token();
    token.ok = true;
    token.detail = "reachable, logged in";
  } catch (const std::exception& e) {
    token.detail = e.what();
  }
  HealthCheck database{"database", false, ""};
  try {
    // A real write: a full disk, a read-only file or a lock held too long all show here.
    deps_.store.probe_writable();
    database.ok = true;
    database.detail = "writable, schema version " + std::to_string(deps_.store.schema_version());
  } catch (const std::exception& e) {
    database.detail = e.what();
  }
  return Health{token.ok && database.ok, {token, database}};
}

// ---- moving an SQLite appliance to PostgreSQL ----

namespace {

std::string copy_detail(const store::CopyReport& copy) {
  std::string detail = "copied from " + copy.source.string() + ":";
  for (const auto& table : copy.tables) {
    detail += " " + table.table + " " + std::to_string(table.rows) + ",";
  }
  return detail + " audit head " + std::to_string(copy.audit_head.last_id) + ":" +
         copy.audit_head.hash;
}

// Empty when the copied chain is what the source's head says; else what is wrong.
std::string verification_problem(const audit::VerifyReport& target,
                                 const store::CopiedAuditHead& source) {
  if (!target.intact) return "the copied audit chain does not verify: " + target.reason;
  if (target.last_id != source.last_id || target.head_hash != source.hash ||
      target.entries != source.entries) {
    return "the copied audit chain ends at " + std::to_string(target.last_id) + ":" +
           target.head_hash + " (" + std::to_string(target.entries) +
           " entries), the source's at " + std::to_string(source.last_id) + ":" + source.hash +
           " (" + std::to_string(source.entries) + " entries)";
  }
  return {};
}

}  // namespace

DatabaseCopy copy_sqlite_to_postgres(const std::filesystem::path& sqlite_file,
                                     const std::string& url, const Caller& caller) {
  DatabaseCopy result;
  result.copy = store::copy_sqlite_to_postgres(sqlite_file, url);
  audit::AuditLog log(store::open_postgres_database(url, 1));
  result.target = log.verify();
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::db_copy);
  event.detail = copy_detail(result.copy);
  const std::string problem = verification_problem(result.target, result.copy.audit_head);
  if (!problem.empty()) {
    detail::record_failure(log, event, problem);
    throw Error(ErrorCode::internal, "The database was copied, but " + problem);
  }
  log.record(event);
  return result;
}

}  // namespace smime::app
