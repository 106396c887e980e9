#include "smime/pkcs11/mechanisms.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "attributes.hpp"
#include "key_objects.hpp"
#include "smime/pkcs11/module.hpp"

namespace smime::pkcs11 {
namespace {

// Destroys temporary session objects however the probe ends.
class ObjectGuard {
 public:
  ObjectGuard(Session& s) : s_(s) {}  // NOLINT(google-explicit-constructor)
  ~ObjectGuard() {
    for (CK_OBJECT_HANDLE h : objects_) s_.fn()->C_DestroyObject(s_.handle(), h);
  }
  void add(CK_OBJECT_HANDLE h) {
    if (h != CK_INVALID_HANDLE) objects_.push_back(h);
  }

 private:
  Session& s_;
  std::vector<CK_OBJECT_HANDLE> objects_;
};

bool generate_session_pair(Session& s, bool rsa, ObjectGuard& guard, CK_OBJECT_HANDLE& pub,
                           CK_OBJECT_HANDLE& priv) {
  AttributeTemplate pub_t;
  AttributeTemplate priv_t;
  pub_t.add(CKA_TOKEN, false);
  priv_t.add(CKA_TOKEN, false).add(CKA_PRIVATE, true).add(CKA_SENSITIVE, true);
  CK_MECHANISM mech{};
  if (rsa) {
    static const unsigned char kExponent[] = {0x01, 0x00, 0x01};
    pub_t.add(CKA_MODULUS_BITS, CK_ULONG{2048}).add(CKA_PUBLIC_EXPONENT, kExponent);
    pub_t.add(CKA_ENCRYPT, true);
    priv_t.add(CKA_DECRYPT, true);
    mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
  } else {
    pub_t.add(CKA_EC_PARAMS, ec_params_for_curve(NID_X9_62_prime256v1));
    priv_t.add(CKA_DERIVE, true);
    mech.mechanism = CKM_EC_KEY_PAIR_GEN;
  }
  CK_RV rv = s.fn()->C_GenerateKeyPair(s.handle(), &mech, pub_t.data(), pub_t.size(), priv_t.data(),
                                       priv_t.size(), &pub, &priv);
  guard.add(pub);
  guard.add(priv);
  if (Token::is_recoverable(rv)) check_rv(rv, "C_GenerateKeyPair");
  return rv == CKR_OK;
}

// Wraps a random secret with the software public key and unwraps it in the token.
bool try_oaep(Session& s, const EVP_PKEY* public_key, CK_OBJECT_HANDLE priv, const EVP_MD* md) {
  unsigned char secret[32];
  RAND_bytes(secret, sizeof secret);
  EvpPkeyCtxPtr ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(public_key), "provider=default"));
  std::vector<unsigned char> wrapped(512);
  std::size_t wrapped_len = wrapped.size();
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) <= 0 ||
      EVP_PKEY_encrypt(ctx.get(), wrapped.data(), &wrapped_len, secret, sizeof secret) <= 0) {
    drain_openssl_errors();
    return false;
  }
  CK_RSA_PKCS_OAEP_PARAMS params = oaep_mechanism_parameters(md);
  CK_MECHANISM mech{CKM_RSA_PKCS_OAEP, &params, sizeof params};
  if (s.fn()->C_DecryptInit(s.handle(), &mech, priv) != CKR_OK) return false;
  unsigned char out[512];
  CK_ULONG out_len = sizeof out;
  CK_RV rv = s.fn()->C_Decrypt(s.handle(), wrapped.data(), wrapped_len, out, &out_len);
  return rv == CKR_OK && out_len == sizeof secret && CRYPTO_memcmp(out, secret, out_len) == 0;
}

// OAEP with SHA-1 and with SHA-256 on one temporary key pair.
void probe_oaep(Session& s, TokenCapabilities& caps) {
  ObjectGuard guard(s);
  CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;
  if (!generate_session_pair(s, true, guard, pub, priv)) {
    caps.oaep_sha1 = caps.oaep_sha256 = false;
    return;
  }
  EvpPkeyPtr public_key = read_public_key(s, pub);
  caps.oaep_sha1 = try_oaep(s, public_key.get(), priv, EVP_sha1());
  caps.oaep_sha256 = try_oaep(s, public_key.get(), priv, EVP_sha256());
}

bool try_ecdh(Session& s, ck_ec_kdf_t kdf) {
  ObjectGuard guard(s);
  CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;
  if (!generate_session_pair(s, false, guard, pub, priv)) return false;
  EvpPkeyPtr peer(EVP_PKEY_Q_keygen(nullptr, "provider=default", "EC", "P-256"));
  unsigned char point[133];
  std::size_t point_len = 0;
  if (!peer || EVP_PKEY_get_octet_string_param(peer.get(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                               sizeof point, &point_len) != 1) {
    drain_openssl_errors();
    return false;
  }
  CK_ECDH1_DERIVE_PARAMS params{kdf, 0, nullptr, static_cast<CK_ULONG>(point_len), point};
  CK_MECHANISM mech{CKM_ECDH1_DERIVE, &params, sizeof params};
  AttributeTemplate derived;
  derived.add(CKA_CLASS, CK_ULONG{CKO_SECRET_KEY}).add(CKA_KEY_TYPE, CK_ULONG{CKK_GENERIC_SECRET});
  derived.add(CKA_TOKEN, false).add(CKA_VALUE_LEN, CK_ULONG{32});
  derived.add(CKA_SENSITIVE, false).add(CKA_EXTRACTABLE, true);
  CK_OBJECT_HANDLE secret = CK_INVALID_HANDLE;
  CK_RV rv = s.fn()->C_DeriveKey(s.handle(), &mech, priv, derived.data(), derived.size(), &secret);
  guard.add(secret);
  return rv == CKR_OK;
}

}  // namespace

std::string mechanism_name(CK_MECHANISM_TYPE type) {
  switch (type) {
#define SMIME_CKM(name) \
  case name:            \
    return #name;
    SMIME_CKM(CKM_RSA_PKCS_KEY_PAIR_GEN)
    SMIME_CKM(CKM_RSA_PKCS)
    SMIME_CKM(CKM_RSA_X_509)
    SMIME_CKM(CKM_RSA_PKCS_OAEP)
    SMIME_CKM(CKM_RSA_PKCS_PSS)
    SMIME_CKM(CKM_SHA256_RSA_PKCS)
    SMIME_CKM(CKM_SHA384_RSA_PKCS)
    SMIME_CKM(CKM_SHA512_RSA_PKCS)
    SMIME_CKM(CKM_SHA256_RSA_PKCS_PSS)
    SMIME_CKM(CKM_EC_KEY_PAIR_GEN)
    SMIME_CKM(CKM_ECDSA)
    SMIME_CKM(CKM_ECDSA_SHA256)
    SMIME_CKM(CKM_ECDSA_SHA384)
    SMIME_CKM(CKM_ECDH1_DERIVE)
    SMIME_CKM(CKM_SHA256)
    SMIME_CKM(CKM_SHA384)
    SMIME_CKM(CKM_SHA512)
    SMIME_CKM(CKM_AES_KEY_GEN)
    SMIME_CKM(CKM_AES_CBC)
    SMIME_CKM(CKM_AES_GCM)
    SMIME_CKM(CKM_AES_KEY_WRAP)
    SMIME_CKM(CKM_GENERIC_SECRET_KEY_GEN)
#undef SMIME_CKM
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "CKM_0x%08lx", type);
      return buf;
    }
  }
}

CK_RSA_PKCS_OAEP_PARAMS oaep_mechanism_parameters(const EVP_MD* md) {
  switch (EVP_MD_get_type(md)) {
    case NID_sha1:
      return {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, nullptr, 0};
    case NID_sha224:
      return {CKM_SHA224, CKG_MGF1_SHA224, CKZ_DATA_SPECIFIED, nullptr, 0};
    case NID_sha256:
      return {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
    case NID_sha384:
      return {CKM_SHA384, CKG_MGF1_SHA384, CKZ_DATA_SPECIFIED, nullptr, 0};
    case NID_sha512:
      return {CKM_SHA512, CKG_MGF1_SHA512, CKZ_DATA_SPECIFIED, nullptr, 0};
    default:
      throw Error(ErrorCode::unsupported, "No PKCS#11 RSA-OAEP parameters for this hash");
  }
}

TokenCapabilities probe_capabilities(Token& token, bool active) {
  TokenCapabilities caps;
  std::vector<CK_MECHANISM_TYPE> types;
  check_rv(token.query_slot([&](CK_FUNCTION_LIST* list, CK_SLOT_ID id) {
    CK_ULONG count = 0;
    CK_RV rv = list->C_GetMechanismList(id, nullptr, &count);
    if (rv != CKR_OK) return rv;
    types.resize(count);
    rv = list->C_GetMechanismList(id, types.data(), &count);
    types.resize(rv == CKR_OK ? count : 0);
    return rv;
  }),
           "C_GetMechanismList");
  // The slot as the list was read (a recovery may have selected it anew).
  const CK_SLOT_ID slot = token.slot();
  CK_FUNCTION_LIST* f = token.fn();
  for (CK_MECHANISM_TYPE type : types) {
    CK_MECHANISM_INFO info{};
    if (f->C_GetMechanismInfo(slot, type, &info) != CKR_OK) continue;
    caps.mechanisms.push_back(mechanism_name(type));
    const bool decrypt = (info.flags & CKF_DECRYPT) != 0;
    const bool sign = (info.flags & CKF_SIGN) != 0;
    switch (type) {
      case CKM_RSA_PKCS_KEY_PAIR_GEN:
        caps.rsa_keygen = true;
        break;
      case CKM_EC_KEY_PAIR_GEN:
        caps.ec_keygen = true;
        break;
      case CKM_RSA_PKCS:
        caps.rsa_pkcs = sign && decrypt;
        break;
      case CKM_RSA_PKCS_PSS:
        caps.rsa_pss = sign;
        break;
      case CKM_RSA_PKCS_OAEP:
        caps.rsa_oaep = decrypt;
        break;
      case CKM_RSA_X_509:
        caps.rsa_x509 = decrypt;
        break;
      case CKM_ECDSA:
        caps.ecdsa = sign;
        break;
      case CKM_ECDH1_DERIVE:
        caps.ecdh_derive = (info.flags & CKF_DERIVE) != 0;
        break;
      default:
        break;
    }
  }
  if (active) {
    token.run([&](Session& s) {
      if (caps.rsa_keygen && caps.rsa_oaep) probe_oaep(s, caps);
      if (caps.ec_keygen && caps.ecdh_derive) {
        caps.ecdh_raw = try_ecdh(s, CKD_NULL);
        caps.ecdh_kdf = try_ecdh(s, CKD_SHA256_KDF);
      }
    });
    spdlog::debug("token capabilities: oaep_sha1={} oaep_sha256={} ecdh_kdf={}",
                  caps.oaep_sha1.value_or(false), caps.oaep_sha256.value_or(false),
                  caps.ecdh_kdf.value_or(false));
  }
  return caps;
}

}  // namespace smime::pkcs11
