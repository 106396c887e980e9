// Verification of SignedData (SPEC §7, issue 16): each check apart — the algorithm, the
// signature over the content, the signer's chain to a trust anchor, revocation of every
// certificate in it, the signer's address against From, and the signer's expiry (reported, not
// fatal) — and the overall status from them.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../revocation/online_revocation.hpp"
#include "smime/engine/engine.hpp"
#include "smime/store/store.hpp"
#include "trust_cache.hpp"

namespace smime::engine::cms {

struct Verification {
  SignatureStatus status = SignatureStatus::invalid;
  std::string reason;
  std::optional<SignerDetails> signer;
  std::vector<MissingItem> missing;
  std::string content;  // opaque signed-data: the embedded content, even when invalid
  SignatureChecks checks;
  std::vector<std::string> warnings;
  bool reject_weak = false;      // the policy refuses SHA-1
  bool revocation_hard = false;  // the policy refuses an unknown revocation status
  // The group whose own setting decided each (empty: the appliance's [verification]).
  std::string sha1_group;
  std::string revocation_group;
};

// detached: the signed bytes of a multipart/signed (nullopt for opaque signed-data).
Verification verify(CMS_ContentInfo* cms, std::optional<std::string_view> detached,
                    const TrustSnapshot& trust, store::RevocationIndex& revocations,
                    const std::vector<std::string>& from, std::time_t now,
                    const VerificationPolicy& policy,
                    revocation::OnlineRevocation* online = nullptr);

}  // namespace smime::engine::cms
