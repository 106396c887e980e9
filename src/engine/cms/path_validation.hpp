// Path validation of a signer's certificate (RFC 5280 as OpenSSL's X509_verify_cert does it):
// only the certificates the administrator made trust anchors end a chain; the other stored
// certificates and those the message carries are path-building material. Validity periods of
// the CAs (at verification time), basic constraints, keyCertSign and name chaining break the
// chain; the signer's own expiry is reported apart (expired signatures still verify).
// Revocation of every certificate in the chain by the stored CRLs and those in the message,
// with their freshness (nextUpdate passed: unknown), and online: OCSP first, CRLs fetched from
// the distribution points where none is known (revocation_check.hpp).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <utility>

#include "../revocation/online_revocation.hpp"
#include "revocation_check.hpp"
#include "smime/engine/engine.hpp"
#include "smime/store/store.hpp"
#include "trust_cache.hpp"

namespace smime::engine::cms {

inline SignatureCheck check(std::string status, std::string reason, std::string certificate = {},
                            std::string source = {}) {
  SignatureCheck c;
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.certificate = std::move(certificate);
  c.source = std::move(source);
  return c;
}

struct PathResult {
  SignatureCheck chain;                // valid | unknown_issuer | invalid
  SignatureCheck revocation;           // good | revoked | unknown | not_checked (chain not valid)
  SignatureCheck validity;             // the signer's certificate: valid | expired | not_yet_valid
  std::optional<MissingItem> missing;  // the issuer that would let the chain reach an anchor
  // When the chain is valid: its certificates above the signer that are not stored (the
  // intermediates the message carried), DER, at most kMaxUnstoredIntermediates.
  std::vector<std::vector<unsigned char>> unstored_intermediates;
};

// The signer's certificate judged at `signing_time` (the signingTime the signer claims) where
// it has expired by now ([verification] leaf_validity = "signing_time"): "valid" when the time
// is within its validity period (the caller adds the warning expired_since_signing), else
// "expired" as without the policy. Only for a certificate that is expired now.
SignatureCheck leaf_validity_at_signing_time(X509* signer, std::time_t signing_time);
inline constexpr int kMaxUnstoredIntermediates = 8;

PathResult validate_path(X509* signer, STACK_OF(X509) * message_certs,
                         STACK_OF(X509_CRL) * message_crls, const TrustSnapshot& trust,
                         store::RevocationIndex& revocations, revocation::OnlineRevocation* online,
                         std::time_t now);

}  // namespace smime::engine::cms
