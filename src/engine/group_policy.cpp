#include "group_policy.hpp"

#include <algorithm>
#include <cctype>

#include "smime/common/error.hpp"

namespace smime::engine {

bool behaviour_signs(store::DefaultBehaviour b) {
  return b == store::DefaultBehaviour::sign_encrypt || b == store::DefaultBehaviour::sign;
}

bool behaviour_encrypts(store::DefaultBehaviour b) {
  return b == store::DefaultBehaviour::sign_encrypt || b == store::DefaultBehaviour::encrypt;
}

std::optional<store::GroupRecord> resolve_group(store::Store& store, const std::string& name,
                                                const std::vector<std::string>& from) {
  if (!name.empty()) {
    auto group = store.group(name);
    if (!group) throw Error(ErrorCode::not_found, "There is no group named " + name);
    return group;
  }
  for (store::GroupRecord& group : store.list_groups()) {
    if (std::find(from.begin(), from.end(), group.email) != from.end()) return group;
  }
  return std::nullopt;
}

void add_unique(std::vector<std::string>& list, const std::vector<std::string>& more) {
  for (const std::string& address : more) {
    std::string lowered = address;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(list.begin(), list.end(), lowered) == list.end()) list.push_back(lowered);
  }
}

}  // namespace smime::engine
