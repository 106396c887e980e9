// An audit sink for tests that look at what the use cases record, without a log file.
#pragma once

#include <mutex>
#include <vector>

#include "smime/audit/audit_sink.hpp"
#include "smime/common/error.hpp"
#include "smime/store/store.hpp"

namespace smime::test {

// Records in memory; record_with() runs the change in a transaction of `store` (when given),
// so that a failing record (fail(true)) rolls the change back as the real log does.
class RecordingAuditSink final : public audit::AuditSink {
 public:
  explicit RecordingAuditSink(store::Store* store = nullptr) : store_(store) {}
  void set_store(store::Store* store) { store_ = store; }

  void record(const audit::AuditEvent& event) override {
    std::lock_guard lock(mutex_);
    if (fail_) throw Error(ErrorCode::storage_failure, "audit log unavailable");
    events_.push_back(event);
  }
  void record_with(audit::AuditEvent& event, const Change& change) override {
    const auto apply = [&] {
      bool written = false;
      const auto write = [&] {
        if (!written) record(event);
        written = true;
      };
      change(write);
      write();
    };
    if (store_ != nullptr) {
      store_->in_transaction(apply);
    } else {
      apply();
    }
  }
  std::vector<audit::AuditEvent> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  void fail(bool on) { fail_ = on; }

 private:
  store::Store* store_;
  std::mutex mutex_;
  std::vector<audit::AuditEvent> events_;
  bool fail_ = false;
};

}  // namespace smime::test
