// Group commit of audit entries: callers queue an entry and wait; one thread appends every
// queued entry in one durable write transaction on a connection of its own, extending the
// hash chain from the head it reads inside that transaction, then wakes the whole batch.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
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

  std::size_t depth() const noexcept { return depth_.load(std::memory_order_relaxed); }
  std::uint64_t entries() const noexcept { return entries_.load(std::memory_order_relaxed); }
  std::uint64_t batches() const noexcept { return batches_.load(std::memory_order_relaxed); }

 private:
  // Lives on the waiting caller's stack until `done`.
  struct Pending {
    const AuditEvent* event = nullptr;
    bool done = false;
    std::optional<Error> error;
  };

  void run();
  void commit(const std::vector<Pending*>& batch);

  std::unique_ptr<AuditTable> table_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable work_;  // the writer waits for entries
  std::condition_variable done_;  // callers wait for their batch
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  std::atomic<std::size_t> depth_{0};
  std::atomic<std::uint64_t> entries_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::thread thread_;  // last: started when everything above exists
};

}  // namespace smime::audit::detail
