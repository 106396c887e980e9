// AuditLog: opening the file, recording through the group-commit writer, and the gauges.
#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "audit_internal.hpp"
#include "entry_codec.hpp"
#include "smime/audit/deferred_durability.hpp"
#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/store/sqlite_store.hpp"

namespace smime::audit {
namespace {

// The first `limit` items, each valid UTF-8, and an item "(N more)" for the rest.
std::vector<std::string> bounded_list(const std::vector<std::string>& items, std::size_t limit) {
  std::vector<std::string> out;
  const std::size_t kept = std::min(items.size(), limit);
  out.reserve(kept + 1);
  for (std::size_t i = 0; i < kept; ++i) out.push_back(detail::valid_utf8(items[i]));
  if (items.size() > kept) out.push_back("(" + std::to_string(items.size() - kept) + " more)");
  return out;
}

// Each distinct "; "-separated part once, in first-seen order, with its count when repeated.
std::string summarised_detail(std::string_view detail) {
  std::vector<std::pair<std::string_view, std::size_t>> parts;
  std::unordered_map<std::string_view, std::size_t> index;
  bool repeated = false;
  for (std::size_t pos = 0; pos <= detail.size();) {
    const std::size_t end = std::min(detail.find("; ", pos), detail.size());
    const std::string_view part = detail.substr(pos, end - pos);
    auto [it, inserted] = index.try_emplace(part, parts.size());
    if (inserted) {
      parts.emplace_back(part, 1);
    } else {
      ++parts[it->second].second;
      repeated = true;
    }
    pos = end + 2;
  }
  if (!repeated) return std::string(detail);
  std::string out;
  for (const auto& [part, count] : parts) {
    if (!out.empty()) out += "; ";
    out += part;
    if (count > 1) out += " (" + std::to_string(count) + " times)";
  }
  return out;
}

// At most `limit` bytes of valid UTF-8, cut before a character, saying how much was left out.
std::string bounded_detail(const std::string& detail, std::size_t limit) {
  std::string text = detail::valid_utf8(summarised_detail(detail));
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  const std::size_t left_out = text.size() - cut;
  text.resize(cut);
  return text + "... (" + std::to_string(left_out) + " more bytes)";
}

// The JSON array of signature layers, valid UTF-8, with as many leading layers as fit in
// `limit` bytes; empty when it is not an array or none fits.
std::string bounded_signatures(const std::string& signatures, std::size_t limit) {
  if (signatures.empty()) return {};
  nlohmann::json layers = nlohmann::json::parse(signatures, nullptr, /*allow_exceptions=*/false);
  if (!layers.is_array()) return {};
  while (!layers.empty()) {
    std::string text = layers.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() <= limit) return text;
    layers.erase(layers.end() - 1);
  }
  return {};
}

}  // namespace

AuditEvent normalised_event(const AuditEvent& event, const EntryLimits& limits) {
  AuditEvent out;
  out.actor = detail::valid_utf8(event.actor);
  out.direction = event.direction;
  out.operation = detail::valid_utf8(event.operation);
  out.status = event.status;
  out.message_id = detail::valid_utf8(event.message_id);
  out.addresses = bounded_list(event.addresses, limits.list_items);
  out.fingerprints = bounded_list(event.fingerprints, limits.list_items);
  out.detail = bounded_detail(event.detail, limits.detail_bytes);
  out.needs = bounded_list(event.needs, limits.list_items);
  out.signatures = bounded_signatures(event.signatures, limits.signatures_bytes);
  out.at_ms = event.at_ms != 0 ? event.at_ms : unix_ms_now();
  return out;
}

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

AuditLog::Impl::Impl(std::unique_ptr<detail::AuditBackend> database, const AuditLogOptions& options)
    : backend(std::move(database)),
      writer(backend->open_writer(), options.max_batch),
      reader(backend->open_reader()),
      entry_limits(options.entry) {}

AuditLog::AuditLog(std::shared_ptr<sqlite::Database> database, AuditLogOptions options)
    : impl_(std::make_unique<Impl>(detail::sqlite_backend(std::move(database)), options)) {}

AuditLog::AuditLog(std::shared_ptr<postgres::Database> database, AuditLogOptions options)
    : impl_(std::make_unique<Impl>(detail::postgres_backend(std::move(database)), options)) {}

AuditLog::AuditLog(const std::filesystem::path& database, AuditLogOptions options)
    : AuditLog(store::open_sqlite_database(database), options) {}

AuditLog::~AuditLog() = default;

void AuditLog::record(const AuditEvent& event) {
  if (event.actor.empty() || event.operation.empty()) {
    throw Error(ErrorCode::invalid_input, "An audit entry needs an actor and an operation");
  }
  AuditEvent entry = normalised_event(event, impl_->entry_limits);
  if (DeferredDurability* scope = DeferredDurability::current()) {
    return impl_->writer.append_async(std::move(entry), scope->add_entry());
  }
  impl_->writer.append(entry);
}

void AuditLog::record_with(AuditEvent& event, const Change& change) {
  if (event.actor.empty() || event.operation.empty()) {
    throw Error(ErrorCode::invalid_input, "An audit entry needs an actor and an operation");
  }
  impl_->backend->in_shared_transaction([&](detail::AuditTable& table) {
    bool written = false;
    const auto write_entry = [&] {
      if (written) return;
      const AuditEvent stored = normalised_event(event, impl_->entry_limits);
      const AuditEvent* entries[] = {&stored};
      detail::append_entries(table, entries);
      written = true;
    };
    change(write_entry);
    write_entry();
  });
}

std::vector<AuditEntry> AuditLog::list(const AuditQuery& query, store::Store* store) {
  std::lock_guard lock(impl_->read_mutex);
  return detail::list_entries(*impl_->reader, query, store);
}

std::optional<std::int64_t> AuditLog::known_count(const AuditQuery& query) {
  std::lock_guard lock(impl_->read_mutex);
  return detail::known_count(*impl_->reader, query);
}

std::int64_t AuditLog::count(const AuditQuery& query) {
  std::lock_guard lock(impl_->read_mutex);
  return detail::count_entries(*impl_->reader, query);
}

VerifyReport AuditLog::verify(const VerifyOptions& options) {
  std::lock_guard lock(impl_->read_mutex);
  return detail::verify_chain(*impl_->reader, options);
}

void AuditLog::pace_commits_by(std::function<std::size_t()> requests_at_work) {
  impl_->writer.pace_by(std::move(requests_at_work));
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
