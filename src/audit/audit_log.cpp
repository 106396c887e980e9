// AuditLog: opening the file, recording through the group-commit writer, and the gauges.
#include <chrono>

#include "audit_internal.hpp"
#include "entry_codec.hpp"
#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/store/sqlite_store.hpp"

namespace smime::audit {
namespace {

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
  out.at_ms = event.at_ms != 0 ? event.at_ms : unix_ms_now();
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

AuditLog::Impl::Impl(std::shared_ptr<sqlite::Database> database, std::size_t max_batch)
    : shared(std::move(database)),
      writer(sqlite::Connection::open(shared->file()), max_batch),
      reader(sqlite::Connection::open(shared->file())) {}

AuditLog::AuditLog(std::shared_ptr<sqlite::Database> database, AuditLogOptions options)
    : impl_(std::make_unique<Impl>(std::move(database), options.max_batch)) {}

AuditLog::AuditLog(const std::filesystem::path& database, AuditLogOptions options)
    : AuditLog(store::open_sqlite_database(database), options) {}

AuditLog::~AuditLog() = default;

void AuditLog::record(const AuditEvent& event) {
  if (event.actor.empty() || event.operation.empty()) {
    throw Error(ErrorCode::invalid_input, "An audit entry needs an actor and an operation");
  }
  impl_->writer.append(normalised(event));
}

void AuditLog::record_with(AuditEvent& event, const Change& change) {
  if (event.actor.empty() || event.operation.empty()) {
    throw Error(ErrorCode::invalid_input, "An audit entry needs an actor and an operation");
  }
  impl_->shared->in_transaction([&](sqlite::Connection& db) {
    bool written = false;
    const auto write_entry = [&] {
      if (written) return;
      const AuditEvent stored = normalised(event);
      const AuditEvent* entries[] = {&stored};
      detail::append_entries(db, entries);
      written = true;
    };
    change(write_entry);
    write_entry();
  });
}

std::vector<AuditEntry> AuditLog::list(const AuditQuery& query, store::Store* store) {
  std::lock_guard lock(impl_->read_mutex);
  return detail::list_entries(impl_->reader, query, store);
}

std::optional<std::int64_t> AuditLog::known_count(const AuditQuery& query) {
  std::lock_guard lock(impl_->read_mutex);
  return detail::known_count(impl_->reader, query);
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
