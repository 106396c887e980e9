#include "smime/common/x963_kdf.hpp"

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "smime/common/error.hpp"
#include "smime/common/handles.hpp"

namespace smime {

SecureBytes x963_kdf(std::span<const unsigned char> shared_secret, const EVP_MD* md,
                     std::span<const unsigned char> shared_info, std::size_t length) {
  EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "X963KDF", "provider=default"));
  EvpKdfCtxPtr ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!ctx) throw_openssl(ErrorCode::crypto, "X9.63 KDF unavailable");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                       const_cast<char*>(EVP_MD_get0_name(md)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<unsigned char*>(shared_secret.data()),
                                        shared_secret.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_INFO, const_cast<unsigned char*>(shared_info.data()), shared_info.size()),
      OSSL_PARAM_construct_end()};
  SecureBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    throw_openssl(ErrorCode::crypto, "X9.63 KDF failed");
  }
  return out;
}

}  // namespace smime
