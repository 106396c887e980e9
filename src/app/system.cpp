#include "smime/app/system.hpp"

#include <exception>

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

}  // namespace smime::app
