// Addresses lowercased and de-duplicated in first-seen order, with constant-time membership:
// de-duplication by searching the list was quadratic (100,000 addresses took a minute).
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace smime::engine {

class AddressList {
 public:
  void add(std::string_view address);
  void add_all(const std::vector<std::string>& addresses);
  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }
  const std::vector<std::string>& items() const noexcept { return items_; }

 private:
  std::vector<std::string> items_;
  std::unordered_set<std::string> seen_;
};

}  // namespace smime::engine
