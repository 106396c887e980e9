#include "key_object.hpp"

#include <openssl/crypto.h>

#include "attributes.hpp"
#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/pkcs11/module.hpp"

namespace smime::pkcs11 {

KeyObject::KeyObject(std::shared_ptr<Token> token, std::vector<unsigned char> id)
    : token_(std::move(token)), id_(std::move(id)) {}

template <class Op>
auto KeyObject::with_key(Op&& op) {
  for (int attempt = 0;; ++attempt) {
    try {
      return token_->run([&](Session& s) { return op(s, handle(s)); });
    } catch (const Error& e) {
      const bool stale = e.ckr() == CKR_KEY_HANDLE_INVALID || e.ckr() == CKR_OBJECT_HANDLE_INVALID;
      if (attempt > 0 || !stale) throw;
      forget();
    }
  }
}

CK_OBJECT_HANDLE KeyObject::handle(Session& session) {
  const std::uint64_t epoch = token_->epoch();
  {
    std::lock_guard lock(mutex_);
    if (handle_ != CK_INVALID_HANDLE && epoch_ == epoch) return handle_;
  }
  AttributeTemplate match;
  match.add(CKA_ID, std::span<const unsigned char>(id_)).add(CKA_CLASS, CK_ULONG{CKO_PRIVATE_KEY});
  const auto found = find_objects(session, match);
  if (found.empty()) {
    // Private objects are invisible without the login: a lost login looks like a lost key.
    CK_SESSION_INFO info{};
    if (session.fn()->C_GetSessionInfo(session.handle(), &info) == CKR_OK &&
        info.state != CKS_RO_USER_FUNCTIONS && info.state != CKS_RW_USER_FUNCTIONS) {
      throw Error(ErrorCode::token_failure, "The token's login was lost", CKR_USER_NOT_LOGGED_IN);
    }
    throw Error(ErrorCode::not_found, "No private key with id " + to_hex(id_) + " in the token");
  }
  std::lock_guard lock(mutex_);
  handle_ = found.front();
  epoch_ = epoch;
  return handle_;
}

void KeyObject::forget() noexcept {
  std::lock_guard lock(mutex_);
  handle_ = CK_INVALID_HANDLE;
}

std::vector<unsigned char> KeyObject::sign(CK_MECHANISM_TYPE mechanism,
                                           std::span<const unsigned char> data,
                                           std::size_t expected_size) {
  return with_key([&](Session& s, CK_OBJECT_HANDLE key) {
    CK_MECHANISM mech{mechanism, nullptr, 0};
    check_rv(s.fn()->C_SignInit(s.handle(), &mech, key), "C_SignInit");
    auto* in = const_cast<unsigned char*>(data.data());
    std::vector<unsigned char> out(expected_size);
    CK_ULONG length = out.size();
    CK_RV rv = expected_size == 0
                   ? CKR_BUFFER_TOO_SMALL
                   : s.fn()->C_Sign(s.handle(), in, data.size(), out.data(), &length);
    if (rv == CKR_BUFFER_TOO_SMALL) {
      // The operation is still active after CKR_BUFFER_TOO_SMALL (PKCS#11 §5.2).
      length = 0;
      check_rv(s.fn()->C_Sign(s.handle(), in, data.size(), nullptr, &length), "C_Sign");
      out.resize(length);
      rv = s.fn()->C_Sign(s.handle(), in, data.size(), out.data(), &length);
    }
    check_rv(rv, "C_Sign");
    out.resize(length);
    return out;
  });
}

SecureBytes KeyObject::decrypt(CK_MECHANISM& mechanism, std::span<const unsigned char> data,
                               std::size_t max_size) {
  return with_key([&](Session& s, CK_OBJECT_HANDLE key) {
    check_rv(s.fn()->C_DecryptInit(s.handle(), &mechanism, key), "C_DecryptInit");
    auto* in = const_cast<unsigned char*>(data.data());
    SecureBytes out(max_size);
    CK_ULONG length = out.size();
    CK_RV rv = s.fn()->C_Decrypt(s.handle(), in, data.size(), out.data(), &length);
    if (rv == CKR_BUFFER_TOO_SMALL) {
      length = 0;
      check_rv(s.fn()->C_Decrypt(s.handle(), in, data.size(), nullptr, &length), "C_Decrypt");
      out.resize(length);
      rv = s.fn()->C_Decrypt(s.handle(), in, data.size(), out.data(), &length);
    }
    check_rv(rv, "C_Decrypt");
    out.resize(length);
    return out;
  });
}

SecureBytes KeyObject::derive_ecdh_raw(std::span<const unsigned char> peer_point) {
  return with_key([&](Session& s, CK_OBJECT_HANDLE key) {
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
    token_->note_derived_object();
    auto value = read_attribute(s, derived, CKA_VALUE);
    s.fn()->C_DestroyObject(s.handle(), derived);
    if (!value) throw Error(ErrorCode::token_failure, "The token did not reveal the ECDH secret");
    SecureBytes out(value->begin(), value->end());
    OPENSSL_cleanse(value->data(), value->size());
    return out;
  });
}

}  // namespace smime::pkcs11
