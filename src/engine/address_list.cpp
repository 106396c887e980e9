#include "address_list.hpp"

#include <algorithm>
#include <cctype>

namespace smime::engine {

void AddressList::add(std::string_view address) {
  std::string lowered(address);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (seen_.insert(lowered).second) items_.push_back(std::move(lowered));
}

void AddressList::add_all(const std::vector<std::string>& addresses) {
  for (const std::string& address : addresses) add(address);
}

}  // namespace smime::engine
