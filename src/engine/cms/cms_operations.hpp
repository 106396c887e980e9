// Outgoing CMS: SignedData through a token key (pkcs11-provider) and (Auth)EnvelopedData to
// recipient certificates, with the algorithm choices of SPEC §7.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smime/common/handles.hpp"
#include "smime/engine/engine.hpp"

namespace smime::engine::cms {

struct SignatureRequest {
  X509* signer = nullptr;
  EVP_PKEY* key = nullptr;   // token key through the provider
  std::vector<X509*> chain;  // issuers to embed (not the signer itself)
  SignatureScheme scheme = SignatureScheme::rsa_pkcs1;
  bool detached = true;
};

struct Signature {
  std::vector<unsigned char> der;  // ContentInfo (SignedData)
  std::string micalg;              // "sha-256", "sha-384", "sha-512"
};

// content must already be canonical (CRLF); it is signed as binary.
Signature sign(std::string_view content, const SignatureRequest& request);

// (Auth)EnvelopedData of content (canonical) for every recipient certificate: RSA with the key
// transport at the same place in `transports` (one per recipient), EC with ECDH
// ephemeral-static and the X9.63 KDF of the curve's hash (SHA-256 for P-256, SHA-384 for P-384).
std::vector<unsigned char> encrypt(std::string_view content, const std::vector<X509*>& recipients,
                                   ContentCipher cipher,
                                   const std::vector<KeyTransport>& transports);

// DER (or BER) ContentInfo to a parsed structure; Error(invalid_input) when it is not CMS.
CmsPtr parse(std::span<const unsigned char> der);

}  // namespace smime::engine::cms
