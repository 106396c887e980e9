// Revocation of every certificate of a validated chain (issue 16 items 3 and 4): per
// certificate, the OCSP responder of its AIA first (when online revocation is on), else the
// CRLs — those in the message, the stored ones, and one fetched from its distribution point
// when no fresh CRL of its issuer is known — checked by OpenSSL's CRL pass. The answers of all
// certificates make the one revocation check: revoked, else unknown, else good.
#pragma once

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../revocation/online_revocation.hpp"
#include "smime/engine/engine.hpp"
#include "smime/store/store.hpp"

namespace smime::engine::cms {

// What the online sources said about each certificate of the chain, by depth.
struct OnlineResults {
  std::vector<revocation::OcspAnswer> ocsp;  // status none where OCSP gave no answer
  std::vector<std::string> notes;            // why no CRL could be fetched, per depth
  std::vector<bool> fetched;                 // a CRL of its issuer was fetched just now
  X509CrlStackPtr crls;                      // the CRLs fetched (owned)
};

// The depths whose revocation matters: all but a self-signed anchor at the top.
int revocation_depths(STACK_OF(X509) * chain);

// Asks OCSP and fetches missing CRLs (online may be null: nothing is asked). Fetched CRLs are
// also pushed (borrowed) onto `crls`.
OnlineResults consult_online(STACK_OF(X509) * chain, STACK_OF(X509_CRL) * crls, X509_STORE* anchors,
                             STACK_OF(X509) * untrusted, revocation::OnlineRevocation* online,
                             std::time_t now);

// The CRL pass's findings: by depth, the first error (X509_V_ERR_CERT_REVOKED or a CRL
// problem); `ran` false when no CRL covered the chain, `failure` when the pass itself failed.
struct CrlFindings {
  bool ran = false;
  std::string failure;
  std::map<int, int> errors;
};

SignatureCheck combine_revocation(STACK_OF(X509) * chain, const CrlFindings& crl,
                                  const OnlineResults& online, STACK_OF(X509_CRL) * message_crls,
                                  const revocation::OnlineRevocation* sources,
                                  store::RevocationIndex& revocations);

}  // namespace smime::engine::cms
