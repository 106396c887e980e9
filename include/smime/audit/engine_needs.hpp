// AuditEvent::needs from what the S/MIME engine reports missing (header-only, so that
// smime_audit does not depend on the engine; Need::to_string is in smime_audit).
#pragma once

#include <string>
#include <vector>

#include "smime/audit/audit_sink.hpp"
#include "smime/engine/engine.hpp"

namespace smime::audit {

inline Need need_from(const engine::MissingItem& item) {
  return Need{item.kind, item.issuer, item.serial, item.subject_key_id, item.subject};
}

inline std::vector<std::string> needs_from(const std::vector<engine::MissingItem>& missing) {
  std::vector<std::string> needs;
  needs.reserve(missing.size());
  for (const engine::MissingItem& item : missing) needs.push_back(need_from(item).to_string());
  return needs;
}

}  // namespace smime::audit
