// Signed mail as a correspondent's client writes it: made with OpenSSL directly and software
// keys, independently of the engine under test, so that the engine's verification is checked
// against another implementation's output.
//
//   auto wire = correspondent_signed(alice, message);                       // multipart/signed
//   auto wire = correspondent_signed(alice, message, {.chain = {ca.get()}, .detached = false});
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "support/test_certs.hpp"

namespace smime::test {

struct CorrespondentSignature {
  std::vector<const X509*> chain = {};                // embedded besides the signer's certificate
  std::vector<std::vector<unsigned char>> crls = {};  // embedded CRLs, DER or PEM each
  const EVP_MD* digest = EVP_sha256();
  bool detached = true;      // multipart/signed; false: opaque application/pkcs7-mime
  bool embed_signer = true;  // false: the signer's certificate is left out (CMS_NOCERTS)
  // Embedded in place of the signer's certificate (a certificate of the same key, say).
  const X509* embed_instead = nullptr;
  bool signed_attributes = true;                 // false: no signed attributes at all
  std::optional<std::time_t> signing_time = {};  // the signingTime attribute (OpenSSL's: now)
  // Written as the SignerInfo's signature algorithm after signing (an unknown one, say).
  const char* signature_oid = nullptr;
};

// `message` (a whole RFC 5322 message) signed by `signer`: its content entity canonicalised as
// the engine's outgoing side does, signed, and framed under the message's outer headers.
std::string correspondent_signed(const IssuedCertificate& signer, const std::string& message,
                                 const CorrespondentSignature& how = {});

// A short text message from `from` to support@example.org, as a correspondent writes one.
std::string correspondent_text(const std::string& from, const std::string& subject,
                               const std::string& message_id = "");

}  // namespace smime::test
