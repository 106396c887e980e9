// A front end that can hold its answer back without holding a thread (smimed's sessions)
// opens a DeferredDurability on the thread that runs a request's use case. While it is open,
// AuditLog::record() queues the entry for the next group commit and returns at once instead of
// waiting for it; the scope's owner then acknowledges nothing until when_durable() reports.
// The worker is free for the next request while the entry is committed, so commits gather the
// entries of every request in flight rather than one per worker. Without a scope, record() is
// durable on return as AuditSink says (smimectl, tests, administrative changes).
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "smime/common/error.hpp"

namespace smime::audit {

class DeferredDurability {
 public:
  // The first failure among the scope's entries, or nullopt when all are durable.
  using Done = std::function<void(const std::optional<Error>& failure)>;
  // Called once per queued entry when it is durable (nullopt) or could not be written.
  using EntryDone = std::function<void(const std::optional<Error>& failure)>;

  DeferredDurability();
  ~DeferredDurability();
  DeferredDurability(const DeferredDurability&) = delete;
  DeferredDurability& operator=(const DeferredDurability&) = delete;

  // The scope open on this thread (the innermost), or nullptr.
  static DeferredDurability* current() noexcept;

  // For a sink that queues an entry in this scope: what it calls once the entry is settled.
  EntryDone add_entry();

  // Closes the scope to new entries: `done` runs once every queued entry is settled, on the
  // thread that settles the last one (the audit writer), or here and now when none is pending.
  // Call it at most once; it must not block.
  void when_durable(Done done);

 private:
  struct State;
  std::shared_ptr<State> state_;
  DeferredDurability* outer_;
};

}  // namespace smime::audit
