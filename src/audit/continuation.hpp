// Internal to smime_audit: calling a continuation that is told whether audit entries are durable
// (the writer's per-entry callbacks, a DeferredDurability's answer). It runs on the audit
// writer's thread, so whatever it throws is logged and must not take the writer down.
#pragma once

#include <functional>
#include <optional>

#include "smime/common/error.hpp"

namespace smime::audit::detail {

using Continuation = std::function<void(const std::optional<Error>& failure)>;

void settle(const Continuation& done, const std::optional<Error>& failure) noexcept;

}  // namespace smime::audit::detail
