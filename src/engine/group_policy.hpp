// The group that governs a message and what its default behaviour asks for (SPEC §7: sign
// and encrypt if possible when no group applies).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "smime/store/store.hpp"

namespace smime::engine {

// The named group (Error(not_found) when there is none), else the group whose address is one
// of `from`, else nullopt.
std::optional<store::GroupRecord> resolve_group(store::Store& store, const std::string& name,
                                                const std::vector<std::string>& from);

bool behaviour_signs(store::DefaultBehaviour behaviour);
bool behaviour_encrypts(store::DefaultBehaviour behaviour);

}  // namespace smime::engine
