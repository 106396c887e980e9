// ANSI X9.63 KDF (OpenSSL's EVP_KDF "X963KDF") as RFC 5753 uses it after ECDH key agreement.
// A software primitive: the token does the ECDH, this derives the key-encryption key.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <span>

#include "smime/common/secure_buffer.hpp"

namespace smime {

SecureBytes x963_kdf(std::span<const unsigned char> shared_secret, const EVP_MD* md,
                     std::span<const unsigned char> shared_info, std::size_t length);

}  // namespace smime
