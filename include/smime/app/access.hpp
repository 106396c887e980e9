// Who is calling: API tokens checked for every request, and failed checks recorded in the
// audit log. A stranger can fail as often as it likes, so the record is rate-limited: at most
// one entry per client address per `per_address` and one per `overall` in all; each entry
// says how many failures were left out since the last one.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "smime/app/dependencies.hpp"
#include "smime/store/api_token_store.hpp"

namespace smime::app {

struct FailureRecordLimits {
  std::chrono::milliseconds per_address{10'000};
  std::chrono::milliseconds overall{1'000};
  std::size_t tracked_addresses = 10'000;  // beyond this, the oldest are forgotten
};

class AccessUseCases {
 public:
  explicit AccessUseCases(const Dependencies& deps, FailureRecordLimits limits = {})
      : deps_(deps), limits_(limits) {}

  // The token a bearer secret belongs to; nullopt when unknown or revoked. A database failure
  // is logged and counts as no token.
  std::optional<store::ApiToken> authenticate(std::string_view secret) noexcept;

  // Cheap and non-blocking (an I/O thread may call it): whether this failure from `peer` is to
  // be recorded now; counts it otherwise.
  bool failure_to_record(std::string_view peer);
  // Writes the auth.failed entry (blocks until it is durable; call on a worker).
  void record_failure(std::string_view peer, std::string_view reason);

 private:
  const Dependencies& deps_;
  const FailureRecordLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_by_address_;
  std::chrono::steady_clock::time_point last_recorded_{};
  bool recorded_any_ = false;
  std::uint64_t left_out_ = 0;  // failures not recorded since the last entry
};

}  // namespace smime::app
