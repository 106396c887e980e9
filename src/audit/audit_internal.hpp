// What AuditLog's methods share inside src/audit: the object's state and the read side.
#pragma once

#include <mutex>

#include "audit_writer.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/sqlite/database.hpp"
#include "smime/store/store.hpp"

namespace smime::audit {

class AuditLog::Impl {
 public:
  Impl(std::shared_ptr<sqlite::Database> database, const AuditLogOptions& options);

  std::shared_ptr<sqlite::Database> shared;  // record_with() appends here
  detail::GroupCommitWriter writer;
  std::mutex read_mutex;  // guards reader
  sqlite::Connection reader;
  EntryLimits entry_limits;
};

namespace detail {

// audit_query.cpp
std::vector<AuditEntry> list_entries(sqlite::Connection& db, const AuditQuery& query,
                                     store::Store* store);
std::int64_t count_entries(sqlite::Connection& db, const AuditQuery& query);
std::optional<std::int64_t> known_count(sqlite::Connection& db, const AuditQuery& query);

// audit_verify.cpp
VerifyReport verify_chain(sqlite::Connection& db, const VerifyOptions& options);

}  // namespace detail
}  // namespace smime::audit
