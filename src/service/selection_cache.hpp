// Remembered signer and recipient selections, so the hot path (every outgoing message) does
// not query and re-read certificate rows per address. An entry is used only while the store's
// revision is the one it was computed at (any certificate, key link or CRL change, by any
// process, bumps it) and until the next moment one of its candidates becomes valid or
// expires, so a cached answer is always the answer a fresh selection would give.
#pragma once

#include <cstdint>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "smime/service/certificate_service.hpp"

namespace smime::service {

class SelectionCache {
 public:
  static constexpr std::size_t kMaxEntries = 4096;

  std::optional<Selection> find(const std::string& key, std::int64_t revision, std::time_t now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.revision != revision || now >= it->second.valid_until) {
      return std::nullopt;
    }
    return it->second.selection;
  }

  void put(const std::string& key, const Selection& selection, std::int64_t revision,
           std::time_t valid_until) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();  // rare: many distinct addresses
    entries_[key] = {selection, revision, valid_until};
  }

 private:
  struct Entry {
    Selection selection;
    std::int64_t revision = 0;
    std::time_t valid_until = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace smime::service
