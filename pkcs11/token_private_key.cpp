#include "token_private_key.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "smime/common/error.hpp"

namespace smime::pkcs11 {
namespace {

// The KeyObject behind an RSA or EC_KEY, kept in the key's ex_data and freed with it.
struct KeyRef {
  std::shared_ptr<KeyObject> key;
};

void free_key_ref(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
                  void* /*argp*/) {
  delete static_cast<KeyRef*>(ptr);  // NOLINT(cppcoreguidelines-owning-memory)
}

struct Methods {
  int rsa_index = -1;
  int ec_index = -1;
  RSA_METHOD* rsa = nullptr;
  EC_KEY_METHOD* ec = nullptr;
};

// Runs the token operation for an OpenSSL callback: errors are parked for the caller (see
// park_callback_error), never thrown through OpenSSL's C frames.
template <class Op>
int guarded(Op&& op) noexcept {
  try {
    return op();
  } catch (const Error& e) {
    park_callback_error(e);
  } catch (const std::exception& e) {
    park_callback_error(Error(ErrorCode::internal, e.what()));
  } catch (...) {
    park_callback_error(Error(ErrorCode::internal, "Unknown failure in a token operation"));
  }
  return -1;
}

const Methods& methods();

KeyObject& rsa_key(const RSA* rsa) {
  auto* ref = static_cast<KeyRef*>(RSA_get_ex_data(rsa, methods().rsa_index));
  if (ref == nullptr) throw Error(ErrorCode::internal, "RSA key without its token object");
  return *ref->key;
}

KeyObject& ec_key(const EC_KEY* ec) {
  auto* ref = static_cast<KeyRef*>(EC_KEY_get_ex_data(ec, methods().ec_index));
  if (ref == nullptr) throw Error(ErrorCode::internal, "EC key without its token object");
  return *ref->key;
}

// Copies a result into OpenSSL's buffer of `size` bytes, left-padded with zeros (raw RSA
// output is the full modulus length; a token may strip leading zero bytes).
int copy_padded(std::span<const unsigned char> result, unsigned char* to, std::size_t size) {
  if (result.size() > size) throw Error(ErrorCode::token_failure, "The token's result is too long");
  std::memset(to, 0, size - result.size());
  std::memcpy(to + (size - result.size()), result.data(), result.size());
  return static_cast<int>(size);
}

// Signing: PKCS#1 v1.5 over a DigestInfo, or raw RSA over a block OpenSSL padded (PSS).
int rsa_private_encrypt(int flen, const unsigned char* from, unsigned char* to, RSA* rsa,
                        int padding) {
  return guarded([&] {
    const auto size = static_cast<std::size_t>(RSA_size(rsa));
    const std::span<const unsigned char> data(from, static_cast<std::size_t>(flen));
    if (padding == RSA_PKCS1_PADDING) {
      auto sig = rsa_key(rsa).sign(CKM_RSA_PKCS, data, size);
      return copy_padded(sig, to, size);
    }
    if (padding == RSA_NO_PADDING) {
      auto sig = rsa_key(rsa).sign(CKM_RSA_X_509, data, size);
      return copy_padded(sig, to, size);
    }
    throw Error(ErrorCode::unsupported, "Unsupported RSA signature padding for a token key");
  });
}

// Decryption: PKCS#1 v1.5 in the token, or raw RSA (OpenSSL then checks OAEP in constant time).
int rsa_private_decrypt(int flen, const unsigned char* from, unsigned char* to, RSA* rsa,
                        int padding) {
  return guarded([&] {
    const auto size = static_cast<std::size_t>(RSA_size(rsa));
    const std::span<const unsigned char> data(from, static_cast<std::size_t>(flen));
    if (padding == RSA_PKCS1_PADDING) {
      CK_MECHANISM mech{CKM_RSA_PKCS, nullptr, 0};
      SecureBytes out = rsa_key(rsa).decrypt(mech, data, size);
      std::memcpy(to, out.data(), out.size());
      return static_cast<int>(out.size());
    }
    if (padding == RSA_NO_PADDING) {
      CK_MECHANISM mech{CKM_RSA_X_509, nullptr, 0};
      SecureBytes out = rsa_key(rsa).decrypt(mech, data, size);
      return copy_padded(out, to, size);
    }
    throw Error(ErrorCode::unsupported, "Unsupported RSA decryption padding for a token key");
  });
}

std::size_t order_bytes(const EC_KEY* ec) {
  return static_cast<std::size_t>(BN_num_bytes(EC_GROUP_get0_order(EC_KEY_get0_group(ec))));
}

// ECDSA in the token: PKCS#11 returns r || s, each as long as the group order.
ECDSA_SIG* ec_sign_sig(const unsigned char* dgst, int dlen, const BIGNUM* /*kinv*/,
                       const BIGNUM* /*r*/, EC_KEY* ec) {
  ECDSA_SIG* out = nullptr;
  guarded([&] {
    const std::size_t half = order_bytes(ec);
    auto raw = ec_key(ec).sign(CKM_ECDSA, {dgst, static_cast<std::size_t>(dlen)}, 2 * half);
    if (raw.size() != 2 * half) {
      throw Error(ErrorCode::token_failure, "The token returned an ECDSA signature of bad length");
    }
    BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
    BIGNUM* s = BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
    out = ECDSA_SIG_new();
    if (r == nullptr || s == nullptr || out == nullptr || ECDSA_SIG_set0(out, r, s) != 1) {
      BN_free(r);
      BN_free(s);
      ECDSA_SIG_free(out);
      out = nullptr;
      throw_openssl(ErrorCode::crypto, "Cannot encode the ECDSA signature");
    }
    return 1;
  });
  return out;
}

// ECDH in the token (CKD_NULL): the shared secret for OpenSSL's own KDF.
int ec_compute_key(unsigned char** psec, std::size_t* pseclen, const EC_POINT* pub_key,
                   const EC_KEY* ec) {
  return guarded([&] {
    const EC_GROUP* group = EC_KEY_get0_group(ec);
    std::vector<unsigned char> point(
        EC_POINT_point2oct(group, pub_key, POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, nullptr));
    if (point.empty() || EC_POINT_point2oct(group, pub_key, POINT_CONVERSION_UNCOMPRESSED,
                                            point.data(), point.size(), nullptr) != point.size()) {
      throw_openssl(ErrorCode::crypto, "Cannot encode the peer's EC point");
    }
    SecureBytes z = ec_key(ec).derive_ecdh_raw(point);
    auto* secret = static_cast<unsigned char*>(OPENSSL_malloc(z.size()));
    if (secret == nullptr) throw Error(ErrorCode::internal, "Out of memory");
    std::memcpy(secret, z.data(), z.size());
    *psec = secret;
    *pseclen = z.size();
    return 1;
  });
}

const Methods& methods() {
  static Methods m;
  static std::once_flag once;
  std::call_once(once, [] {
    m.rsa_index = RSA_get_ex_new_index(0, nullptr, nullptr, nullptr, free_key_ref);
    m.ec_index = EC_KEY_get_ex_new_index(0, nullptr, nullptr, nullptr, free_key_ref);
    // Copies of OpenSSL's own methods: the public operations stay OpenSSL's.
    m.rsa = RSA_meth_dup(RSA_PKCS1_OpenSSL());
    m.ec = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    if (m.rsa == nullptr || m.ec == nullptr || m.rsa_index < 0 || m.ec_index < 0) {
      throw_openssl(ErrorCode::internal, "Cannot set up the token key methods");
    }
    RSA_meth_set1_name(m.rsa, "smime-token-rsa");
    RSA_meth_set_priv_enc(m.rsa, rsa_private_encrypt);
    RSA_meth_set_priv_dec(m.rsa, rsa_private_decrypt);
    int (*sign)(int, const unsigned char*, int, unsigned char*, unsigned int*, const BIGNUM*,
                const BIGNUM*, EC_KEY*) = nullptr;
    EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), &sign, nullptr, nullptr);
    // OpenSSL's sign() DER-encodes what sign_sig() returns; no sign_setup: k lives in the token.
    EC_KEY_METHOD_set_sign(m.ec, sign, nullptr, ec_sign_sig);
    EC_KEY_METHOD_set_compute_key(m.ec, ec_compute_key);
  });
  return m;
}

BignumPtr bn_param(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    throw_openssl(ErrorCode::crypto, std::string("Cannot read the public key's ") + name);
  }
  return BignumPtr(bn);
}

EvpPkeyPtr rsa_key_for(std::shared_ptr<KeyObject> key, const EVP_PKEY* public_key) {
  const Methods& m = methods();
  BignumPtr n = bn_param(public_key, OSSL_PKEY_PARAM_RSA_N);
  BignumPtr e = bn_param(public_key, OSSL_PKEY_PARAM_RSA_E);
  RsaPtr rsa(RSA_new());
  if (!rsa || RSA_set_method(rsa.get(), m.rsa) != 1 ||
      RSA_set0_key(rsa.get(), n.get(), e.get(), nullptr) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot build the token RSA key");
  }
  (void)n.release();  // owned by rsa now
  (void)e.release();
  auto ref = std::make_unique<KeyRef>(KeyRef{std::move(key)});
  if (RSA_set_ex_data(rsa.get(), m.rsa_index, ref.get()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot attach the token object to the RSA key");
  }
  (void)ref.release();  // freed with rsa (free_key_ref)
  EvpPkeyPtr pkey(EVP_PKEY_new());
  if (!pkey || EVP_PKEY_assign_RSA(pkey.get(), rsa.get()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot wrap the token RSA key");
  }
  (void)rsa.release();
  return pkey;
}

EvpPkeyPtr ec_key_for(std::shared_ptr<KeyObject> key, const EVP_PKEY* public_key) {
  const Methods& m = methods();
  EcKeyPtr ec(EVP_PKEY_get1_EC_KEY(const_cast<EVP_PKEY*>(public_key)));
  EcKeyPtr own(ec ? EC_KEY_dup(ec.get()) : nullptr);
  if (!own || EC_KEY_set_method(own.get(), m.ec) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot build the token EC key");
  }
  auto ref = std::make_unique<KeyRef>(KeyRef{std::move(key)});
  if (EC_KEY_set_ex_data(own.get(), m.ec_index, ref.get()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot attach the token object to the EC key");
  }
  (void)ref.release();  // freed with the EC key (free_key_ref)
  EvpPkeyPtr pkey(EVP_PKEY_new());
  if (!pkey || EVP_PKEY_assign_EC_KEY(pkey.get(), own.get()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot wrap the token EC key");
  }
  (void)own.release();
  return pkey;
}

}  // namespace

EvpPkeyPtr make_token_private_key(std::shared_ptr<KeyObject> key, const EVP_PKEY* public_key) {
  if (EVP_PKEY_is_a(public_key, "RSA")) return rsa_key_for(std::move(key), public_key);
  if (EVP_PKEY_is_a(public_key, "EC")) return ec_key_for(std::move(key), public_key);
  throw Error(ErrorCode::unsupported,
              std::string("Unsupported token key type ") + EVP_PKEY_get0_type_name(public_key));
}

}  // namespace smime::pkcs11
