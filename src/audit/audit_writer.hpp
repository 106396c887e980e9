// Group commit of audit entries: callers queue an entry and wait for it (append) or are called
// back (append_async); one thread appends every queued entry in one durable write transaction
// on a connection of its own, extending the hash chain from the head it reads inside that
// transaction, then settles the whole batch.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "audit_table.hpp"
#include "smime/audit/audit_sink.hpp"
#include "smime/common/error.hpp"

namespace smime::audit::detail {

class GroupCommitWriter {
 public:
  // Takes the writer's connection (AuditBackend::open_writer) over.
  GroupCommitWriter(std::unique_ptr<AuditTable> table, std::size_t max_batch);
  // Commits what is queued, then joins the thread.
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // Blocks until the entry is committed; throws the commit's Error otherwise.
  void append(const AuditEvent& event);
  // Queues the entry and returns: `done` runs on the writer's thread once the entry is durable
  // (nullopt) or its commit failed, and must not block. Settled at once when closing.
  using Done = std::function<void(const std::optional<Error>& failure)>;
  void append_async(AuditEvent event, Done done);

  // Under load a batch waits briefly for the entries of requests still being worked on, so
  // that one WAL sync serves more of them (PostgreSQL's commit_delay with commit_siblings).
  // `requests_at_work` counts those requests (it is called with the writer's lock held and
  // must only read a counter); unset, a batch never waits.
  void pace_by(std::function<std::size_t()> requests_at_work);

  std::size_t depth() const noexcept { return depth_.load(std::memory_order_relaxed); }
  std::uint64_t entries() const noexcept { return entries_.load(std::memory_order_relaxed); }
  std::uint64_t batches() const noexcept { return batches_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    AuditEvent owned;                   // append_async's entry
    const AuditEvent* event = nullptr;  // the entry: owned, or the waiting caller's
    Done done;
  };

  void enqueue(std::unique_ptr<Pending> pending);
  void run();
  void linger(std::unique_lock<std::mutex>& lock);
  void commit(const std::vector<std::unique_ptr<Pending>>& batch);

  std::unique_ptr<AuditTable> table_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable work_;  // the writer waits for entries
  std::deque<std::unique_ptr<Pending>> queue_;
  bool stopping_ = false;
  std::function<std::size_t()> requests_at_work_;  // pace_by's, read under mutex_
  std::atomic<std::size_t> depth_{0};
  std::atomic<std::uint64_t> entries_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::thread thread_;  // last: started when everything above exists
};

}  // namespace smime::audit::detail
