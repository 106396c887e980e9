#include "smime/pkcs11/completion.hpp"

#include <openssl/rsa.h>

#include "attributes.hpp"
#include "smime/common/error.hpp"
#include "smime/pkcs11/module.hpp"

namespace smime::pkcs11 {
namespace {

CK_OBJECT_HANDLE private_object(Session& s, std::string_view key_id) {
  auto id = from_hex(key_id);
  if (!id) throw Error(ErrorCode::invalid_input, "Invalid key id");
  AttributeTemplate match;
  match.add(CKA_ID, *id).add(CKA_CLASS, CK_ULONG{CKO_PRIVATE_KEY});
  auto found = find_objects(s, match);
  if (found.empty()) {
    throw Error(ErrorCode::not_found, "No private key with id " + std::string(key_id));
  }
  return found.front();
}

}  // namespace

SecureBytes decrypt_rsa_oaep(TokenKeyStore& keys, std::string_view key_id,
                             std::span<const unsigned char> ciphertext, const EVP_MD* md,
                             const EVP_MD* mgf1_md, std::span<const unsigned char> label) {
  SecureBytes block = keys.token().run([&](Session& s) {
    CK_OBJECT_HANDLE key = private_object(s, key_id);
    CK_MECHANISM mech{CKM_RSA_X_509, nullptr, 0};
    check_rv(s.fn()->C_DecryptInit(s.handle(), &mech, key), "C_DecryptInit(RSA_X_509)");
    CK_ULONG len = 0;
    auto* in = const_cast<unsigned char*>(ciphertext.data());
    check_rv(s.fn()->C_Decrypt(s.handle(), in, ciphertext.size(), nullptr, &len), "C_Decrypt");
    SecureBytes out(len);
    check_rv(s.fn()->C_Decrypt(s.handle(), in, ciphertext.size(), out.data(), &len), "C_Decrypt");
    out.resize(len);
    return out;
  });
  // Raw RSA output is the full modulus length; a token may strip leading zero bytes.
  const std::size_t modulus_bytes = ciphertext.size();
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

SecureBytes derive_ecdh_raw(TokenKeyStore& keys, std::string_view key_id,
                            std::span<const unsigned char> peer_point) {
  return keys.token().run([&](Session& s) {
    CK_OBJECT_HANDLE key = private_object(s, key_id);
    CK_ECDH1_DERIVE_PARAMS params{CKD_NULL, 0, nullptr, static_cast<CK_ULONG>(peer_point.size()),
                                  const_cast<unsigned char*>(peer_point.data())};
    CK_MECHANISM mech{CKM_ECDH1_DERIVE, &params, sizeof params};
    // A session object that is readable by us and destroyed right after reading.
    AttributeTemplate secret;
    secret.add(CKA_CLASS, CK_ULONG{CKO_SECRET_KEY})
        .add(CKA_KEY_TYPE, CK_ULONG{CKK_GENERIC_SECRET})
        .add(CKA_TOKEN, false)
        .add(CKA_SENSITIVE, false)
        .add(CKA_EXTRACTABLE, true);
    CK_OBJECT_HANDLE derived = CK_INVALID_HANDLE;
    check_rv(s.fn()->C_DeriveKey(s.handle(), &mech, key, secret.data(), secret.size(), &derived),
             "C_DeriveKey(ECDH1, CKD_NULL)");
    auto value = read_attribute(s, derived, CKA_VALUE);
    s.fn()->C_DestroyObject(s.handle(), derived);
    if (!value) throw Error(ErrorCode::token_failure, "The token did not reveal the ECDH secret");
    SecureBytes out(value->begin(), value->end());
    OPENSSL_cleanse(value->data(), value->size());
    return out;
  });
}

}  // namespace smime::pkcs11
