// Content ciphers that only incoming mail may use (issue 17 item 4): RC2-CBC with 40, 64 or
// 128 effective key bits (RFC 3370 §5.2), from OpenSSL's legacy provider. The provider is
// loaded into a library context of its own, used for nothing but these decryptions, so the
// default context (and so everything outgoing) never offers RC2. 3DES-CBC and AES-192-CBC
// are in the default provider and decrypt on the ordinary path.
#pragma once

#include <string>
#include <vector>

#include "der.hpp"
#include "smime/common/secure_buffer.hpp"

namespace smime::engine::cms {

// Whether the content algorithm (an OpenSSL NID) is one of these legacy ciphers.
bool is_legacy_content_cipher(int nid);

// The content-encryption key length the parameters (RC2CBCParameter DER) call for:
// effective key bits / 8. Error(unsupported) for an effective key size we do not decrypt.
std::size_t legacy_content_key_length(int nid, der::Bytes parameters);

// Decrypts CBC content with PKCS#7 padding; any failure is Error(crypto, "The message could
// not be decrypted"), as on the ordinary path.
std::string decrypt_legacy_content(int nid, der::Bytes parameters, const SecureBytes& content_key,
                                   der::Bytes ciphertext);

}  // namespace smime::engine::cms
