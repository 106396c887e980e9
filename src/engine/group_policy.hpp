// The group that governs a message and what its default behaviour asks for (SPEC §7: sign
// and encrypt if possible when no group applies); for incoming mail, the verification policy
// of the groups it is addressed to.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "smime/engine/engine.hpp"
#include "smime/store/store.hpp"

namespace smime::engine {

// The store's groups as of its current revision (every change of a group bumps it): read
// once per revision instead of once per message.
class GroupCache {
 public:
  explicit GroupCache(store::Store& store) : store_(store) {}
  std::shared_ptr<const std::vector<store::GroupRecord>> current();

 private:
  store::Store& store_;
  std::mutex mutex_;
  std::int64_t revision_ = -1;
  std::shared_ptr<const std::vector<store::GroupRecord>> groups_;
};

// The named group (Error(not_found) when there is none), else the group whose address is one
// of `from`, else nullopt.
std::optional<store::GroupRecord> resolve_group(GroupCache& groups, const std::string& name,
                                                const std::vector<std::string>& from);

// The verification policy of an incoming message: the appliance's, with the own settings of
// the groups whose addresses are among `recipients` (its To and Cc). Of several such groups
// the strictest applies: hard when one of them is hard (its own setting, or the appliance's
// where it has none), SHA-1 refused likewise. No such group: the appliance's policy. The
// deciding group's name is kept for the reasons.
VerificationPolicy incoming_policy(GroupCache& groups, const VerificationPolicy& appliance,
                                   const std::vector<std::string>& recipients);

bool behaviour_signs(store::DefaultBehaviour behaviour);
bool behaviour_encrypts(store::DefaultBehaviour behaviour);

}  // namespace smime::engine
