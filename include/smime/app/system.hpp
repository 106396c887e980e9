// The audit log as administrators read it, the token's status and the node's health, and the
// move of an SQLite appliance to PostgreSQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "smime/app/caller.hpp"
#include "smime/app/dependencies.hpp"
#include "smime/store/postgres_store.hpp"

namespace smime::app {

struct LogPage {
  std::vector<audit::AuditEntry> entries;  // newest first
  // Entries matching the filters, when known without reading the whole log (filters on
  // direction, operation and status only).
  std::optional<std::int64_t> total;
  bool more = false;  // more matching entries beyond this page
};

class LogUseCases {
 public:
  explicit LogUseCases(const Dependencies& deps) : deps_(deps) {}
  // Error(invalid_input) for a limit outside 1..audit::kMaxListLimit or a negative offset.
  LogPage list(audit::AuditQuery query);
  audit::VerifyReport verify(const audit::VerifyOptions& options);

 private:
  const Dependencies& deps_;
};

struct HealthCheck {
  std::string name;  // "token", "database"
  bool ok = false;
  std::string detail;  // for an authenticated caller; says what is wrong
};

struct Health {
  bool ok = false;
  std::vector<HealthCheck> checks;
};

class HealthUseCases {
 public:
  explicit HealthUseCases(const Dependencies& deps) : deps_(deps) {}
  // Whether the token answers and the database takes a write (a real one: a row of its own).
  // Computed at most once per `max_age`: a balancer polling every node often, or a stranger
  // asking in a loop, costs one probe per interval.
  Health check(std::chrono::milliseconds max_age = std::chrono::milliseconds(1000));

 private:
  Health probe();
  const Dependencies& deps_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point probed_at_{};
  std::optional<Health> last_;
};

class TokenUseCases {
 public:
  explicit TokenUseCases(const Dependencies& deps) : deps_(deps) {}
  pkcs11::TokenReport status(bool probe) { return deps_.token_report(probe); }

 private:
  const Dependencies& deps_;
};

struct DatabaseCopy {
  store::CopyReport copy;  // rows per table, the source's audit head
  // The PostgreSQL chain as verified after the copy, before the entry that records the copy:
  // intact, with the source's head.
  audit::VerifyReport target;
};

// smimectl db copy: the SQLite appliance `sqlite_file` into the new PostgreSQL database at
// `url` (store::copy_sqlite_to_postgres, whose errors it passes on), then the copied audit
// chain verified on PostgreSQL and compared with the source's head, then an entry "db.copy"
// of `caller` appended there. Not a use case on the appliance's own store: it works on two
// databases that the configuration does not both name. Error(internal) when the copy does
// not verify (the rows stay in the target; its log then names the failure).
DatabaseCopy copy_sqlite_to_postgres(const std::filesystem::path& sqlite_file,
                                     const std::string& url, const Caller& caller);

}  // namespace smime::app
