#include "group_policy.hpp"

#include <algorithm>

#include "smime/common/error.hpp"
#include "smime/store/revision_scope.hpp"

namespace smime::engine {

bool behaviour_signs(store::DefaultBehaviour b) {
  return b == store::DefaultBehaviour::sign_encrypt || b == store::DefaultBehaviour::sign;
}

bool behaviour_encrypts(store::DefaultBehaviour b) {
  return b == store::DefaultBehaviour::sign_encrypt || b == store::DefaultBehaviour::encrypt;
}

std::shared_ptr<const std::vector<store::GroupRecord>> GroupCache::current() {
  const std::int64_t revision = store::current_revision(store_);
  {
    std::lock_guard lock(mutex_);
    if (groups_ && revision == revision_) return groups_;
  }
  // Read outside the lock; the revision read before it makes a change meanwhile a miss later.
  auto groups = std::make_shared<const std::vector<store::GroupRecord>>(store_.list_groups());
  std::lock_guard lock(mutex_);
  if (revision >= revision_) {
    revision_ = revision;
    groups_ = groups;
  }
  return groups;
}

std::optional<store::GroupRecord> resolve_group(GroupCache& cache, const std::string& name,
                                                const std::vector<std::string>& from) {
  const auto groups = cache.current();
  if (!name.empty()) {
    for (const store::GroupRecord& group : *groups) {
      if (group.name == name) return group;
    }
    throw Error(ErrorCode::not_found, "There is no group named " + name);
  }
  for (const store::GroupRecord& group : *groups) {
    if (std::find(from.begin(), from.end(), group.email) != from.end()) return group;
  }
  return std::nullopt;
}

}  // namespace smime::engine
