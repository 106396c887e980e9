#include "smime/pkcs11/completion.hpp"

#include <openssl/rsa.h>

#include "smime/common/error.hpp"

namespace smime::pkcs11 {

SecureBytes check_rsa_oaep(SecureBytes block, std::size_t modulus_bytes, const EVP_MD* md,
                           const EVP_MD* mgf1_md, std::span<const unsigned char> label) {
  // Raw RSA output is the full modulus length; a token may strip leading zero bytes.
  if (block.size() < modulus_bytes) block.insert(block.begin(), modulus_bytes - block.size(), 0);
  if (block.size() != modulus_bytes) throw Error(ErrorCode::crypto, "RSA-OAEP decryption failed");
  // OpenSSL checks the whole block, leading zero byte included, in constant time; no check
  // here may branch on the block's content first (Manger's attack).
  SecureBytes message(modulus_bytes);
  int n = RSA_padding_check_PKCS1_OAEP_mgf1(message.data(), static_cast<int>(message.size()),
                                            block.data(), static_cast<int>(block.size()),
                                            static_cast<int>(modulus_bytes), label.data(),
                                            static_cast<int>(label.size()), md, mgf1_md);
  if (n < 0) {
    drain_openssl_errors();  // the reason must not tell an attacker which check failed
    throw Error(ErrorCode::crypto, "RSA-OAEP decryption failed");
  }
  message.resize(static_cast<std::size_t>(n));
  return message;
}

SecureBytes decrypt_rsa_oaep(TokenKeyStore& keys, std::string_view key_id,
                             std::span<const unsigned char> ciphertext, const EVP_MD* md,
                             const EVP_MD* mgf1_md, std::span<const unsigned char> label) {
  return keys.decrypt_rsa_oaep_completed(key_id, ciphertext, md, mgf1_md, label);
}

SecureBytes derive_ecdh_raw(TokenKeyStore& keys, std::string_view key_id,
                            std::span<const unsigned char> peer_point) {
  return keys.derive_ecdh_raw(key_id, peer_point);
}

}  // namespace smime::pkcs11
