// The audit entries of online revocation (issue 16): a CRL fetched and stored (crl.fetched,
// also when the refresher fetched it again before its nextUpdate), a CRL fetch that failed
// (crl.fetch_failed) and an OCSP query that gave no usable answer (ocsp.query_failed), each
// with the URL and the reason. Answered OCSP queries are counted (metrics), not audited.
#pragma once

#include "smime/audit/audit_sink.hpp"
#include "smime/engine/revocation.hpp"

namespace smime::app {

// The actor of these entries: no caller asked for them.
inline constexpr const char* kRevocationActor = "revocation";

audit::AuditEvent revocation_audit_event(const engine::RevocationEvent& event);

// A listener writing those entries to `audit` (which must outlive it).
engine::RevocationListener audit_revocation_events(audit::AuditSink& audit);

}  // namespace smime::app
