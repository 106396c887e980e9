#include "legacy_ciphers.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "smime/common/error.hpp"
#include "smime/common/handles.hpp"

namespace smime::engine::cms {
namespace {

using der::kUniversal;

[[noreturn]] void undecryptable() {
  drain_openssl_errors();
  throw Error(ErrorCode::crypto, "The message could not be decrypted");
}

// The library context that holds the legacy provider, loaded on first use and kept for the
// process. Nothing else fetches from it.
class LegacyContext {
 public:
  LegacyContext() : context_(OSSL_LIB_CTX_new()) {
    if (context_ != nullptr) provider_ = OSSL_PROVIDER_load(context_, "legacy");
    if (provider_ != nullptr) rc2_.reset(EVP_CIPHER_fetch(context_, "RC2-CBC", nullptr));
    drain_openssl_errors();
  }
  ~LegacyContext() {
    rc2_.reset();
    if (provider_ != nullptr) OSSL_PROVIDER_unload(provider_);
    if (context_ != nullptr) OSSL_LIB_CTX_free(context_);
  }
  LegacyContext(const LegacyContext&) = delete;
  LegacyContext& operator=(const LegacyContext&) = delete;

  const EVP_CIPHER* rc2() const {
    if (!rc2_) {
      throw Error(ErrorCode::unsupported,
                  "The message is encrypted with RC2, and OpenSSL's legacy provider (needed to "
                  "decrypt it) could not be loaded");
    }
    return rc2_.get();
  }

 private:
  OSSL_LIB_CTX* context_ = nullptr;
  OSSL_PROVIDER* provider_ = nullptr;
  EvpCipherPtr rc2_;
};

const LegacyContext& legacy_context() {
  static const LegacyContext context;  // thread-safe initialisation
  return context;
}

struct Rc2Parameters {
  std::size_t effective_bits = 32;  // RFC 3370: no version means 32 bits
  std::vector<unsigned char> iv;
};

// RC2CBCParameter ::= SEQUENCE { rc2ParameterVersion INTEGER OPTIONAL, iv OCTET STRING }.
// Version 160, 120, 58 encode 40, 64 and 128 effective bits (RFC 2268 §6); 256 and above are
// the bits themselves.
Rc2Parameters rc2_parameters(der::Bytes parameters) {
  der::Reader outer(parameters);
  der::Reader sequence(outer.expect(kUniversal, der::kSequence, "RC2 parameters").content);
  Rc2Parameters out;
  if (auto version = sequence.next_if(kUniversal, der::kInteger)) {
    if (version->content.empty() || version->content.size() > 3) {
      throw Error(ErrorCode::unsupported, "Unsupported RC2 parameter version");
    }
    long value = 0;
    for (unsigned char octet : version->content) value = (value << 8) | octet;
    if (value == 160) {
      out.effective_bits = 40;
    } else if (value == 120) {
      out.effective_bits = 64;
    } else if (value == 58) {
      out.effective_bits = 128;
    } else if (value >= 256 && value <= 1024) {
      out.effective_bits = static_cast<std::size_t>(value);
    } else {
      throw Error(ErrorCode::unsupported,
                  "Unsupported RC2 parameter version " + std::to_string(value));
    }
  }
  const der::Element iv = sequence.expect(kUniversal, der::kOctetString, "an RC2 IV");
  out.iv.assign(iv.content.begin(), iv.content.end());
  if (out.effective_bits % 8 != 0 || out.effective_bits > 1024) {
    throw Error(ErrorCode::unsupported, "Unsupported RC2 effective key size");
  }
  return out;
}

}  // namespace

bool is_legacy_content_cipher(int nid) {
  return nid == NID_rc2_cbc;
}

std::size_t legacy_content_key_length(int nid, der::Bytes parameters) {
  if (!is_legacy_content_cipher(nid)) {
    throw Error(ErrorCode::unsupported, "The message is encrypted with an unsupported cipher");
  }
  return rc2_parameters(parameters).effective_bits / 8;
}

std::string decrypt_legacy_content(int nid, der::Bytes parameters, const SecureBytes& content_key,
                                   der::Bytes ciphertext) {
  const std::size_t key_length = legacy_content_key_length(nid, parameters);
  const Rc2Parameters rc2 = rc2_parameters(parameters);
  const EVP_CIPHER* cipher = legacy_context().rc2();
  if (content_key.size() != key_length ||
      rc2.iv.size() != static_cast<std::size_t>(EVP_CIPHER_get_iv_length(cipher))) {
    undecryptable();
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1) {
    undecryptable();
  }
  // Key length and effective bits before the key: RC2's key schedule depends on both.
  std::size_t length = key_length;
  std::size_t bits = rc2.effective_bits;
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_KEYLEN, &length),
                               OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_RC2_KEYBITS, &bits),
                               OSSL_PARAM_END};
  if (EVP_CIPHER_CTX_set_params(ctx.get(), params) != 1 ||
      EVP_DecryptInit_ex2(ctx.get(), nullptr, content_key.data(), rc2.iv.data(), nullptr) != 1) {
    undecryptable();
  }
  std::string plain(ciphertext.size() + 16, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  int n = 0;
  if (EVP_DecryptUpdate(ctx.get(), out, &n, ciphertext.data(),
                        static_cast<int>(ciphertext.size())) != 1) {
    undecryptable();
  }
  std::size_t total = static_cast<std::size_t>(n);
  if (EVP_DecryptFinal_ex(ctx.get(), out + total, &n) != 1) undecryptable();
  plain.resize(total + static_cast<std::size_t>(n));
  return plain;
}

}  // namespace smime::engine::cms
