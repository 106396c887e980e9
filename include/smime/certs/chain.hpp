// Chain building up to a stored CA (no built-in roots: SPEC §7).
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "smime/common/handles.hpp"

namespace smime::certs {

struct ChainResult {
  bool trusted = false;
  std::vector<X509Ptr> chain;  // leaf first, up to the anchor when trusted
  std::string error;           // X509_verify_cert_error_string when not trusted
};

// Builds and verifies the chain of `leaf` with `anchors` (stored CA certificates and
// explicitly imported certificates are trust anchors) and `intermediates`, at time `at`.
// Partial chains are allowed: an explicitly imported leaf is its own anchor. No purpose check
// and no revocation here: the caller checks those against stored CRLs.
ChainResult build_chain(const X509* leaf, const std::vector<const X509*>& anchors,
                        const std::vector<const X509*>& intermediates, std::time_t at);

// Which certificates of one import become trust anchors when the administrator does not say:
// a self-signed certificate and a certificate imported on its own are; a certificate that is
// part of a chain in the same input (issued by another of them, or the issuer of another:
// the intermediates and the leaf of a chain file or a PKCS#12 bag) only helps path building.
std::vector<bool> default_anchors(const std::vector<X509Ptr>& input);

}  // namespace smime::certs
