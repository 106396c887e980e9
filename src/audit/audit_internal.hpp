// What AuditLog's methods share inside src/audit: the object's state and the read side.
#pragma once

#include <mutex>

#include "audit_writer.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/store/store.hpp"
#include "sqlite_connection.hpp"

namespace smime::audit {

class AuditLog::Impl {
 public:
  Impl(store::Connection writer_connection, store::Connection reader_connection,
       const AuditLogOptions& options)
      : writer(std::move(writer_connection), options.max_batch),
        reader(std::move(reader_connection)),
        entry_limits(options.entry) {}

  detail::GroupCommitWriter writer;
  std::mutex read_mutex;  // guards reader
  store::Connection reader;
  EntryLimits entry_limits;
};

namespace detail {

// audit_query.cpp
std::vector<AuditEntry> list_entries(store::Connection& db, const AuditQuery& query,
                                     store::Store* store);
std::int64_t count_entries(store::Connection& db, const AuditQuery& query);

// audit_verify.cpp
VerifyReport verify_chain(store::Connection& db, const VerifyOptions& options);

}  // namespace detail
}  // namespace smime::audit
