// One private key object of the token and the raw operations on it. Private to pkcs11/.
//
// The object handle is looked up once and kept until the module is re-initialised (the token's
// epoch changes) or the token says the handle is void; then it is looked up once more. Every
// operation borrows a session from the token's pool and runs under Token::run, so a lost
// session, login or module is recovered before the operation is tried again.
#pragma once

#include <p11-kit/pkcs11.h>

#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "smime/common/secure_buffer.hpp"
#include "smime/pkcs11/token.hpp"

namespace smime::pkcs11 {

class KeyObject {
 public:
  KeyObject(std::shared_ptr<Token> token, std::vector<unsigned char> id);

  // C_SignInit + C_Sign. expected_size: the signature's length when known (one round trip to
  // a network HSM instead of two), 0 to ask the token.
  std::vector<unsigned char> sign(CK_MECHANISM_TYPE mechanism, std::span<const unsigned char> data,
                                  std::size_t expected_size);
  // C_DecryptInit + C_Decrypt; max_size: the largest possible output (the modulus length).
  SecureBytes decrypt(CK_MECHANISM& mechanism, std::span<const unsigned char> data,
                      std::size_t max_size);
  // ECDH with CKD_NULL: the raw shared secret with the peer's uncompressed point. The derived
  // session object is destroyed right after its value is read.
  SecureBytes derive_ecdh_raw(std::span<const unsigned char> peer_point);

  const std::vector<unsigned char>& id() const noexcept { return id_; }
  Token& token() noexcept { return *token_; }

 private:
  template <class Op>
  auto with_key(Op&& op);
  CK_OBJECT_HANDLE handle(Session& session);
  void forget() noexcept;

  std::shared_ptr<Token> token_;
  std::vector<unsigned char> id_;
  std::mutex mutex_;
  CK_OBJECT_HANDLE handle_ = CK_INVALID_HANDLE;
  std::uint64_t epoch_ = 0;
};

}  // namespace smime::pkcs11
