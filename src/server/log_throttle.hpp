// Internal to smime_server: a warning a client can trigger at will (refused connections)
// is written at most once per period; the next line says how many were left out.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace smime::server {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::steady_clock::duration period) : period_(period) {}

  // The number of lines left out since the last one when a line may be written now;
  // nullopt when this one is to be left out. Thread-safe.
  std::optional<std::uint64_t> permit() {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (written_ && now - last_ < period_) {
      ++suppressed_;
      return std::nullopt;
    }
    written_ = true;
    last_ = now;
    const std::uint64_t left_out = suppressed_;
    suppressed_ = 0;
    return left_out;
  }

 private:
  const std::chrono::steady_clock::duration period_;
  std::mutex mutex_;
  bool written_ = false;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t suppressed_ = 0;
};

}  // namespace smime::server
