// Export of a sensitive but extractable private key: the token never reveals it in clear
// (CKA_SENSITIVE stays TRUE, so no PKCS#11 client can read its components); it leaves only
// wrapped, under a fresh AES-256 session key made for this one call (CKM_AES_KEY_WRAP_PAD,
// RFC 5649), and is unwrapped here into PKCS#8 in memory that is wiped afterwards.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "attributes.hpp"
#include "key_objects.hpp"
#include "smime/common/error.hpp"
#include "smime/common/secure_buffer.hpp"
#include "smime/pkcs11/module.hpp"

namespace smime::pkcs11 {
namespace {

constexpr std::size_t kWrapKeyBytes = 32;

// The session wrapping key, destroyed however the export ends.
class SessionKey {
 public:
  SessionKey(Session& s, std::span<const unsigned char> value) : s_(s) {
    AttributeTemplate t;
    t.add(CKA_CLASS, CK_ULONG{CKO_SECRET_KEY})
        .add(CKA_KEY_TYPE, CK_ULONG{CKK_AES})
        .add(CKA_TOKEN, false)
        .add(CKA_PRIVATE, true)
        .add(CKA_WRAP, true)
        .add(CKA_ENCRYPT, false)
        .add(CKA_DECRYPT, false)
        .add(CKA_UNWRAP, false)
        .add(CKA_SENSITIVE, true)
        .add(CKA_EXTRACTABLE, false)
        .add(CKA_VALUE, value);
    check_rv(s.fn()->C_CreateObject(s.handle(), t.data(), t.size(), &handle_),
             "C_CreateObject(AES wrapping key)");
  }
  ~SessionKey() { s_.fn()->C_DestroyObject(s_.handle(), handle_); }
  SessionKey(const SessionKey&) = delete;
  SessionKey& operator=(const SessionKey&) = delete;
  CK_OBJECT_HANDLE handle() const noexcept { return handle_; }

 private:
  Session& s_;
  CK_OBJECT_HANDLE handle_ = CK_INVALID_HANDLE;
};

SecureBytes aes_unwrap_pad(std::span<const unsigned char> key,
                           std::span<const unsigned char> wrapped) {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw_openssl(ErrorCode::crypto, "EVP_CIPHER_CTX_new failed");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  SecureBytes out(wrapped.size() + 16);
  int len = 0;
  int tail = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_wrap_pad(), nullptr, key.data(), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, wrapped.data(),
                        static_cast<int>(wrapped.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &tail) != 1) {
    throw_openssl(ErrorCode::token_failure, "The token's wrapped key does not unwrap");
  }
  out.resize(static_cast<std::size_t>(len) + static_cast<std::size_t>(tail));
  return out;
}

}  // namespace

EvpPkeyPtr unwrap_extractable_key(Session& s, CK_OBJECT_HANDLE private_object) {
  SecureBytes key(kWrapKeyBytes);
  if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw_openssl(ErrorCode::crypto, "RAND_priv_bytes failed");
  }
  SessionKey wrapping(s, key);
  CK_MECHANISM mechanism{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  CK_ULONG size = 0;
  check_rv(
      s.fn()->C_WrapKey(s.handle(), &mechanism, wrapping.handle(), private_object, nullptr, &size),
      "C_WrapKey(AES_KEY_WRAP_PAD)");
  std::vector<unsigned char> wrapped(size);
  check_rv(s.fn()->C_WrapKey(s.handle(), &mechanism, wrapping.handle(), private_object,
                             wrapped.data(), &size),
           "C_WrapKey(AES_KEY_WRAP_PAD)");
  wrapped.resize(size);

  const SecureBytes der = aes_unwrap_pad(key, wrapped);
  const unsigned char* p = der.data();
  Pkcs8PrivKeyInfoPtr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  EvpPkeyPtr pkey(info ? EVP_PKCS82PKEY(info.get()) : nullptr);
  if (!pkey) throw_openssl(ErrorCode::token_failure, "The token's wrapped key is not PKCS#8");
  return pkey;
}

}  // namespace smime::pkcs11
