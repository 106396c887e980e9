// The content cipher and each recipient's key transport (issue 17 item 5), from what the
// recipients announced: their SMIMECapabilities recorded from verified signed mail, else those
// of their certificate's extension. AES-GCM only when every recipient announced it (AES-256-GCM
// when all announced that, AES-128-GCM when some announced only AES-128-GCM), else
// AES-256-CBC; RSA-OAEP for an RSA recipient that announced it, else PKCS#1 v1.5; EC
// recipients always get ECDH. A forced cipher or transport (request, [encryption]) wins.
#pragma once

#include <openssl/x509.h>

#include <optional>
#include <string>
#include <vector>

#include "smime/engine/engine.hpp"
#include "smime/store/store.hpp"

namespace smime::engine {

struct CipherRecipient {
  std::string address;
  std::string fingerprint;
  X509* certificate = nullptr;
  // Its key is in the token (the sender's own copy): it has what the appliance's signatures
  // announce (cms::appliance_capabilities), source "appliance".
  bool own_key = false;
};

// What is forced, and by whom ("the request", "[encryption] cipher").
struct ForcedAlgorithms {
  std::optional<ContentCipher> cipher;
  std::string cipher_by;
  std::optional<KeyTransport> transport;
  std::string transport_by;
};

struct RecipientTransport {
  KeyTransport transport = KeyTransport::rsa_pkcs1;  // meaningful for RSA keys only
  std::string name;                                  // "rsa-oaep-sha256", ..., or "ecdh"
  std::string reason;
  std::vector<std::string> capabilities;
  std::string source;  // "appliance", "message", "certificate", "none"
};

struct CipherChoice {
  ContentCipher cipher = ContentCipher::aes256_cbc;
  std::string reason;                          // "aes-256-cbc: bob@b.example did not announce ..."
  std::vector<RecipientTransport> recipients;  // in the order given
};

// Reads the recorded capabilities from `store` (no token operation).
CipherChoice choose_cipher(store::Store& store, const std::vector<CipherRecipient>& recipients,
                           const ForcedAlgorithms& forced);

// Fills the key-transport fields of `used` from `choice` for the recipient at the same place.
void describe_transport(const RecipientTransport& choice, UsedCertificate& used);

}  // namespace smime::engine
