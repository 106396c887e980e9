// Turns PEM (or DER) private key files into software EVP_PKEYs before they go into the token:
// PKCS#1 RSA, PKCS#8, SEC1 EC, encrypted PKCS#8 with a passphrase.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "smime/common/handles.hpp"
#include "smime/common/secure_buffer.hpp"

namespace smime {

// Throws Error with:
//  - bad_passphrase: the key is encrypted and the passphrase is missing or wrong;
//  - unsupported: a key other than RSA or EC (Ed25519, DSA, ...), naming the type;
//  - invalid_input: anything that is not a private key, naming the accepted formats.
EvpPkeyPtr decode_private_key(std::span<const unsigned char> input,
                              const SecretString* passphrase = nullptr);

// Encrypted PKCS#8 PEM (AES-256-CBC, PBKDF2) of a software key, for exportable keys.
std::string encode_encrypted_pkcs8(const EVP_PKEY* key, const SecretString& passphrase);

}  // namespace smime
