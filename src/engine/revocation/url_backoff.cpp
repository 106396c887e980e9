#include "url_backoff.hpp"

#include <algorithm>

namespace smime::engine::revocation {

std::optional<std::string> UrlBackoff::blocked(const std::string& url, std::time_t now) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(url);
  if (it == entries_.end() || it->second.retry_at <= now) return std::nullopt;
  return it->second.reason + "; not asked again for " + std::to_string(it->second.retry_at - now) +
         " s";
}

void UrlBackoff::failed(const std::string& url, const std::string& reason, std::time_t now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries && entries_.find(url) == entries_.end()) {
    // Forget the entries whose backoff has passed; when none has, the oldest failure goes.
    std::erase_if(entries_, [now](const auto& e) { return e.second.retry_at <= now; });
    if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());
  }
  Entry& entry = entries_[url];
  entry.failures = std::min(entry.failures + 1, 30);
  const auto wait =
      std::min<std::int64_t>(maximum_.count(), first_.count() << std::min(entry.failures - 1, 20));
  entry.retry_at = now + static_cast<std::time_t>(std::max<std::int64_t>(wait, 0));
  entry.reason = "the last attempt failed: " + reason;
}

void UrlBackoff::succeeded(const std::string& url) {
  std::lock_guard lock(mutex_);
  entries_.erase(url);
}

}  // namespace smime::engine::revocation
