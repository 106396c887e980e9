// Certificate revocation lists: PEM or DER, accepted only when signed by a stored CA.
#pragma once

#include <span>
#include <vector>

#include "smime/certs/descriptions.hpp"
#include "smime/common/handles.hpp"

namespace smime::certs {

struct ParsedCrl {
  X509CrlPtr crl;
  CrlDescription description;
  std::vector<RevokedSerial> revoked;
};

inline constexpr const char* kAcceptedCrlFormats = "PEM (an \"X509 CRL\" block) or DER";

// Throws Error(invalid_input) naming the accepted formats (PEM "X509 CRL" or DER).
ParsedCrl parse_crl(std::span<const unsigned char> input);

// True when `issuer` (a CA certificate) signed the CRL and the names match.
bool crl_signed_by(const X509_CRL* crl, const X509* issuer);

}  // namespace smime::certs
