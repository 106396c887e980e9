// Internal to smime_app: how every use case writes its audit entry (SPEC §9).
#pragma once

#include <string_view>

#include "smime/app/caller.hpp"
#include "smime/audit/audit_sink.hpp"

namespace smime::app::detail {

// A new administrative entry (direction admin) of the caller.
audit::AuditEvent admin_event(const Caller& caller, std::string_view operation);

// An administrative change and its entry, all or nothing (AuditSink::record_with). When the
// change or its entry fails, nothing is committed, the attempt is recorded on its own as
// failed (the error appended to the detail) and the error propagates.
void audited_change(audit::AuditSink& audit, audit::AuditEvent& event,
                    const audit::AuditSink::Change& change);

// Records a failed operation. A failure of the log itself is logged, not thrown: the original
// error is what the caller is told.
void record_failure(audit::AuditSink& audit, audit::AuditEvent& event, std::string_view error);

}  // namespace smime::app::detail
