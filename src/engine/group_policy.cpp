#include "group_policy.hpp"

#include <algorithm>

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

}  // namespace smime::engine
