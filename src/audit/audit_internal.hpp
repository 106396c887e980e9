// What AuditLog's methods share inside src/audit: the object's state and the read side.
#pragma once

#include <mutex>

#include "audit_table.hpp"
#include "audit_writer.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/store/store.hpp"

namespace smime::audit {

class AuditLog::Impl {
 public:
  Impl(std::unique_ptr<detail::AuditBackend> database, const AuditLogOptions& options);

  std::unique_ptr<detail::AuditBackend> backend;  // record_with() appends in its transactions
  detail::GroupCommitWriter writer;
  std::mutex read_mutex;  // guards reader
  std::unique_ptr<detail::AuditTable> reader;
  EntryLimits entry_limits;
};

namespace detail {

// audit_query.cpp
std::vector<AuditEntry> list_entries(AuditTable& table, const AuditQuery& query,
                                     store::Store* store);
std::int64_t count_entries(AuditTable& table, const AuditQuery& query);
std::optional<std::int64_t> known_count(AuditTable& table, const AuditQuery& query);

// audit_verify.cpp
VerifyReport verify_chain(AuditTable& table, const VerifyOptions& options);

}  // namespace detail
}  // namespace smime::audit
