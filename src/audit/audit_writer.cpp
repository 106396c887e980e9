#include "audit_writer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <future>
#include <map>
#include <tuple>

#include "continuation.hpp"
#include "entry_codec.hpp"
#include "hash_chain.hpp"

namespace smime::audit::detail {
namespace {

// How long a batch may wait for more entries after its first one, and how many requests must
// be at work beyond the entries already queued for it to wait at all: with two connections a
// wait would only add latency, with sixteen it lets one sync serve several answers.
constexpr auto kCommitDelay = std::chrono::microseconds(400);
constexpr std::size_t kCommitSiblings = 3;

}  // namespace

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<AuditTable> table, std::size_t max_batch)
    : table_(std::move(table)), max_batch_(max_batch == 0 ? 1 : max_batch) {
  thread_ = std::thread([this] { run(); });
}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  thread_.join();
}

void GroupCommitWriter::append(const AuditEvent& event) {
  // Shared with the writer, which may still be inside set_value when this caller wakes.
  auto settled = std::make_shared<std::promise<std::optional<Error>>>();
  auto outcome = settled->get_future();
  auto pending = std::make_unique<Pending>();
  pending->event = &event;
  pending->done = [settled](const std::optional<Error>& failure) { settled->set_value(failure); };
  enqueue(std::move(pending));
  if (const std::optional<Error> failure = outcome.get()) throw *failure;
}

void GroupCommitWriter::append_async(AuditEvent event, Done done) {
  auto pending = std::make_unique<Pending>();
  pending->owned = std::move(event);
  pending->event = &pending->owned;
  pending->done = std::move(done);
  enqueue(std::move(pending));
}

void GroupCommitWriter::pace_by(std::function<std::size_t()> requests_at_work) {
  std::lock_guard lock(mutex_);
  requests_at_work_ = std::move(requests_at_work);
}

void GroupCommitWriter::enqueue(std::unique_ptr<Pending> pending) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      depth_.fetch_add(1, std::memory_order_relaxed);
      queue_.push_back(std::move(pending));
      work_.notify_one();
      return;
    }
  }
  pending->done(Error(ErrorCode::internal, "The audit log is closing"));
}

void GroupCommitWriter::run() {
  std::vector<std::unique_ptr<Pending>> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is committed
    linger(lock);
    batch.clear();
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    // Committing (and its fsync) runs unlocked, so new entries gather for the next batch.
    lock.unlock();
    std::optional<Error> failure;
    try {
      commit(batch);
    } catch (const Error& e) {
      failure = e;
    } catch (const std::exception& e) {
      failure = Error(ErrorCode::internal, std::string("Audit log write failed: ") + e.what());
    }
    if (failure)
      spdlog::error("audit log: {} entries not written: {}", batch.size(), failure->what());
    depth_.fetch_sub(batch.size(), std::memory_order_relaxed);
    for (const auto& pending : batch) detail::settle(pending->done, failure);
    batch.clear();  // the entries go before the lock is taken again
    lock.lock();
  }
}

// Each enqueue wakes the writer, so the wait ends as soon as no more entries are to be expected.
void GroupCommitWriter::linger(std::unique_lock<std::mutex>& lock) {
  if (!requests_at_work_) return;
  const auto deadline = std::chrono::steady_clock::now() + kCommitDelay;
  while (!stopping_ && queue_.size() < max_batch_ &&
         requests_at_work_() >= queue_.size() + kCommitSiblings) {
    if (work_.wait_until(lock, deadline) == std::cv_status::timeout) return;
  }
}

void GroupCommitWriter::commit(const std::vector<std::unique_ptr<Pending>>& batch) {
  // The transaction holds the chain: the head read in append_entries is the newest one of
  // every process writing to this database, and no one else can extend the chain before it
  // commits.
  std::vector<const AuditEvent*> events;
  events.reserve(batch.size());
  for (const auto& pending : batch) events.push_back(pending->event);
  table_->in_write_transaction([&] { append_entries(*table_, events); });
  entries_.fetch_add(batch.size(), std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);
}

namespace {

// audit_counts, so that listing can say how many entries of a kind there are without a scan.
std::vector<KindCount> count_entries_by_kind(std::span<const AuditEvent* const> events) {
  std::map<std::tuple<std::string_view, std::string_view, std::string_view>, std::int64_t> added;
  for (const AuditEvent* event : events) {
    ++added[{to_string(event->direction), event->operation, to_string(event->status)}];
  }
  std::vector<KindCount> counts;
  counts.reserve(added.size());
  for (const auto& [kind, n] : added) {
    counts.push_back({std::string(std::get<0>(kind)), std::string(std::get<1>(kind)),
                      std::string(std::get<2>(kind)), n});
  }
  return counts;
}

}  // namespace

std::int64_t append_entries(AuditTable& table, std::span<const AuditEvent* const> events) {
  Appended appended;
  appended.head = table.locked_head();
  ChainHead& head = appended.head;
  appended.rows.reserve(events.size());
  for (const AuditEvent* event : events) {
    const std::int64_t id = head.last_id + 1;
    std::string hash = entry_hash(id, *event, head.hash);
    appended.rows.push_back(encode_row(id, *event, std::move(head.hash), hash));
    head.last_id = id;
    ++head.entries;
    head.hash = std::move(hash);
  }
  appended.counts = count_entries_by_kind(events);
  table.append(appended);
  return head.last_id;
}

}  // namespace smime::audit::detail
