// Software completion of key-transport and key-agreement steps the token cannot do itself
// (SPEC §12: SoftHSM2 and many PIV cards do RSA-OAEP only with SHA-1 and ECDH only with
// CKD_NULL). The private key stays in the token: only its raw operation runs there, the
// padding check or KDF runs here.
#pragma once

#include <openssl/evp.h>

#include <span>
#include <string_view>

#include "smime/common/secure_buffer.hpp"
#include "smime/pkcs11/token_key_store.hpp"

namespace smime::pkcs11 {

// The software half of RSA-OAEP: OpenSSL's constant-time check of the raw RSA block (left-padded
// to the modulus length here). One Error(crypto) message for every failure.
SecureBytes check_rsa_oaep(SecureBytes block, std::size_t modulus_bytes, const EVP_MD* md,
                           const EVP_MD* mgf1_md, std::span<const unsigned char> label);

// RSA-OAEP decryption: raw RSA (CKM_RSA_X_509) in the token, then OpenSSL's constant-time
// OAEP check with `md` and MGF1(`mgf1_md`) and an optional label. Any padding failure gives
// one and the same Error(crypto) message, whatever went wrong.
SecureBytes decrypt_rsa_oaep(TokenKeyStore& keys, std::string_view key_id,
                             std::span<const unsigned char> ciphertext, const EVP_MD* md,
                             const EVP_MD* mgf1_md, std::span<const unsigned char> label = {});

// ECDH with CKD_NULL in the token: the raw shared secret (x coordinate) with the peer's
// uncompressed public point. Feed it to the X9.63 KDF (smime/common/x963_kdf.hpp) for RFC 5753.
SecureBytes derive_ecdh_raw(TokenKeyStore& keys, std::string_view key_id,
                            std::span<const unsigned char> peer_point);

}  // namespace smime::pkcs11
