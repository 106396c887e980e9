// Recovering the content-encryption key of one RecipientInfo with an org key in the token:
// natively through pkcs11-provider where the token can (RSA v1.5, OAEP with SHA-1, and
// OAEP-SHA2 / ECDH-KDF on tokens that support them), otherwise completed in software around
// the token's raw operation (raw RSA + OAEP check, raw ECDH + X9.63 KDF + AES key unwrap).
#pragma once

#include <string_view>

#include "envelope.hpp"
#include "smime/token/key_store.hpp"

namespace smime::engine::cms {

struct OrgKey {
  std::string_view key_id;  // CKA_ID hex
  EVP_PKEY* private_key;    // provider handle of the token key
  const X509* certificate;  // the org certificate the RecipientInfo names
};

// Throws Error(crypto, "The message could not be decrypted") when the token refuses or the
// padding is wrong (one message for every such failure); Error(unsupported) for algorithms we
// do not handle. For RSA v1.5 a padding failure yields a random key instead (so that the
// failure shows only when the content does not decrypt, as RFC 3218 advises).
SecureBytes recover_content_key(const Envelope& envelope, const KeyRecipient& recipient,
                                const OrgKey& key, KeyStore& keys);

}  // namespace smime::engine::cms
