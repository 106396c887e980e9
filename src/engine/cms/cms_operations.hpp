// Outgoing CMS: SignedData through a token key (pkcs11-provider) and (Auth)EnvelopedData to
// recipient certificates, with the algorithm choices of SPEC §7.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
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

// Where encrypt_to() puts the DER of the ContentInfo: begin() once with its size in bytes,
// then write() with every byte in order. consumed(i, end), when set, is told after each piece
// of parts[i] that its bytes before `end` are encrypted and not read again.
struct DerOutput {
  std::function<void(std::size_t)> begin;
  std::function<void(std::span<const unsigned char>)> write;
  std::function<void(std::size_t, std::size_t)> consumed;
};

// encrypt() of the concatenation of `parts`, streamed: the content is read in pieces and the
// same DER is written to `out` as it is produced (nothing of the message's size is held).
void encrypt_to(std::span<const std::string_view> parts, const std::vector<X509*>& recipients,
                ContentCipher cipher, const std::vector<KeyTransport>& transports,
                const DerOutput& out);

// DER (or BER) ContentInfo to a parsed structure; Error(invalid_input) when it is not CMS.
CmsPtr parse(std::span<const unsigned char> der);

}  // namespace smime::engine::cms
