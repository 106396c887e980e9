// The negative cache of revocation URLs: a URL whose fetch or query failed is not asked again
// until its backoff has passed (doubled with each further failure, up to a maximum), so that
// a responder that is down does not hold every verification for its timeout.
#pragma once

#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace smime::engine::revocation {

class UrlBackoff {
 public:
  UrlBackoff(std::chrono::seconds first, std::chrono::seconds maximum)
      : first_(first), maximum_(maximum) {}

  // Why the URL is not to be asked now (its last failure and when it may be asked again);
  // nullopt when it may be asked.
  std::optional<std::string> blocked(const std::string& url, std::time_t now) const;
  void failed(const std::string& url, const std::string& reason, std::time_t now);
  void succeeded(const std::string& url);

 private:
  struct Entry {
    int failures = 0;
    std::time_t retry_at = 0;
    std::string reason;
  };
  static constexpr std::size_t kMaxEntries = 4096;  // hostile certificates name many URLs

  std::chrono::seconds first_;
  std::chrono::seconds maximum_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace smime::engine::revocation
