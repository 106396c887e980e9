// Verification of SignedData (SPEC §7): the signature over the content, the signer's chain to
// a stored anchor, revocation by stored CRLs, the signer's address against From, and expiry
// (reported, not fatal).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
};

// detached: the signed bytes of a multipart/signed (nullopt for opaque signed-data).
Verification verify(CMS_ContentInfo* cms, std::optional<std::string_view> detached,
                    const TrustSnapshot& trust, store::RevocationIndex& revocations,
                    const std::vector<std::string>& from, std::time_t now);

}  // namespace smime::engine::cms
