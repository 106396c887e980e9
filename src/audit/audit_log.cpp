// AuditLog: opening the file, recording through the group-commit writer, and the gauges.
#include <chrono>

#include "audit_internal.hpp"
#include "entry_codec.hpp"
#include "smime/common/error.hpp"
#include "smime/store/sqlite_store.hpp"

namespace smime::audit {
namespace {

std::unique_ptr<AuditLog::Impl> open_impl(const std::filesystem::path& database,
                                          const AuditLogOptions& options) {
  // Creates the file like the store does (mode 0600) and brings its schema up to date; the
  // store object itself is not needed afterwards.
  store::open_sqlite_store(database).reset();
  return std::make_unique<AuditLog::Impl>(store::Connection::open(database),
                                          store::Connection::open(database), options.max_batch);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The event as it will be stored: a time, and text that is valid UTF-8 throughout.
AuditEvent normalised(const AuditEvent& event) {
  AuditEvent out;
  out.actor = detail::valid_utf8(event.actor);
  out.direction = event.direction;
  out.operation = detail::valid_utf8(event.operation);
  out.status = event.status;
  out.message_id = detail::valid_utf8(event.message_id);
  for (const auto& a : event.addresses) out.addresses.push_back(detail::valid_utf8(a));
  for (const auto& f : event.fingerprints) out.fingerprints.push_back(detail::valid_utf8(f));
  out.detail = detail::valid_utf8(event.detail);
  for (const auto& n : event.needs) out.needs.push_back(detail::valid_utf8(n));
  out.at_ms = event.at_ms != 0 ? event.at_ms : now_ms();
  return out;
}

}  // namespace

std::string_view to_string(ChainProblem problem) noexcept {
  switch (problem) {
    case ChainProblem::none:
      return "none";
    case ChainProblem::edited:
      return "edited";
    case ChainProblem::deleted:
      return "deleted";
    case ChainProblem::reordered:
      return "reordered";
    case ChainProblem::inserted:
      return "inserted";
  }
  return "none";
}

AuditLog::AuditLog(const std::filesystem::path& database, AuditLogOptions options)
    : impl_(open_impl(database, options)) {}

AuditLog::~AuditLog() = default;

void AuditLog::record(const AuditEvent& event) {
  if (event.actor.empty() || event.operation.empty()) {
    throw Error(ErrorCode::invalid_input, "An audit entry needs an actor and an operation");
  }
  impl_->writer.append(normalised(event));
}

std::vector<AuditEntry> AuditLog::list(const AuditQuery& query, store::Store* store) {
  std::lock_guard lock(impl_->read_mutex);
  return detail::list_entries(impl_->reader, query, store);
}

std::int64_t AuditLog::count(const AuditQuery& query) {
  std::lock_guard lock(impl_->read_mutex);
  return detail::count_entries(impl_->reader, query);
}

VerifyReport AuditLog::verify(const VerifyOptions& options) {
  std::lock_guard lock(impl_->read_mutex);
  return detail::verify_chain(impl_->reader, options);
}

std::size_t AuditLog::queue_depth() const noexcept {
  return impl_->writer.depth();
}

std::uint64_t AuditLog::committed_entries() const noexcept {
  return impl_->writer.entries();
}

std::uint64_t AuditLog::committed_batches() const noexcept {
  return impl_->writer.batches();
}

}  // namespace smime::audit
