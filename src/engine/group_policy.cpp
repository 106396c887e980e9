#include "group_policy.hpp"

#include <algorithm>

#include "smime/common/error.hpp"
#include "smime/common/text.hpp"
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

namespace {

// One setting over the groups addressed: the appliance's when none is; else true when any of
// them says so (its own setting, or the appliance's it falls back to). `by`: the first group
// whose own setting made it true (empty: the appliance's).
bool strictest(const std::vector<const store::GroupRecord*>& addressed, bool appliance,
               std::optional<bool> store::GroupRecord::*setting, std::string& by) {
  if (addressed.empty()) return appliance;
  bool on = false;
  for (const store::GroupRecord* group : addressed) {
    const std::optional<bool>& own = group->*setting;
    on = on || own.value_or(appliance);
    if (by.empty() && own.value_or(false)) by = group->name;
  }
  return on;
}

}  // namespace

VerificationPolicy incoming_policy(GroupCache& cache, const VerificationPolicy& appliance,
                                   const std::vector<std::string>& recipients) {
  VerificationPolicy out = appliance;
  const auto groups = cache.current();
  std::vector<const store::GroupRecord*> addressed;
  for (const store::GroupRecord& group : *groups) {
    for (const std::string& address : recipients) {
      if (ascii_iequals(address, group.email)) {
        addressed.push_back(&group);
        break;
      }
    }
  }
  out.revocation_hard = strictest(addressed, appliance.revocation_hard,
                                  &store::GroupRecord::revocation_hard, out.revocation_group);
  out.reject_sha1 =
      strictest(addressed, appliance.reject_sha1, &store::GroupRecord::reject_sha1, out.sha1_group);
  return out;
}

}  // namespace smime::engine
