#include "smime/audit/deferred_durability.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <mutex>

#include "continuation.hpp"

namespace smime::audit {
namespace {

thread_local DeferredDurability* innermost = nullptr;

}  // namespace

struct DeferredDurability::State {
  std::mutex mutex;
  std::size_t pending = 0;
  std::optional<Error> failure;
  Done done;  // set by when_durable
  bool closed = false;
};

namespace detail {

void settle(const Continuation& done, const std::optional<Error>& failure) noexcept {
  try {
    done(failure);
  } catch (const std::exception& e) {
    spdlog::error("an audit durability continuation failed: {}", e.what());
  } catch (...) {
    spdlog::error("an audit durability continuation failed");
  }
}

}  // namespace detail

DeferredDurability::DeferredDurability() : state_(std::make_shared<State>()), outer_(innermost) {
  innermost = this;
}

DeferredDurability::~DeferredDurability() {
  innermost = outer_;
  // Never told: what is still queued settles with nobody waiting for it.
  std::lock_guard lock(state_->mutex);
  state_->closed = true;
}

DeferredDurability* DeferredDurability::current() noexcept {
  return innermost;
}

DeferredDurability::EntryDone DeferredDurability::add_entry() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) throw Error(ErrorCode::internal, "The durability scope is closed");
    ++state_->pending;
  }
  return [state = state_](const std::optional<Error>& failure) {
    Done done;
    std::optional<Error> first;
    {
      std::lock_guard lock(state->mutex);
      if (failure && !state->failure) state->failure = failure;
      if (--state->pending != 0 || !state->done) return;
      done = std::move(state->done);
      first = state->failure;
    }
    detail::settle(done, first);
  };
}

void DeferredDurability::when_durable(Done done) {
  std::optional<Error> first;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) throw Error(ErrorCode::internal, "when_durable was called twice");
    state_->closed = true;
    if (state_->pending != 0) {
      state_->done = std::move(done);
      return;
    }
    first = state_->failure;
  }
  detail::settle(done, first);
}

}  // namespace smime::audit
