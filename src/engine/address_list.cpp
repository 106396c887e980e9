#include "address_list.hpp"

#include <algorithm>
#include <cctype>

#include "smime/common/text.hpp"

namespace smime::engine {

void AddressList::add(std::string_view address) {
  std::string lowered = ascii_lower(address);
  if (seen_.insert(lowered).second) items_.push_back(std::move(lowered));
}

void AddressList::add_all(const std::vector<std::string>& addresses) {
  for (const std::string& address : addresses) add(address);
}

}  // namespace smime::engine
