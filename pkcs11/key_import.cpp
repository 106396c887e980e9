#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include "attributes.hpp"
#include "key_objects.hpp"
#include "smime/common/error.hpp"
#include "smime/pkcs11/module.hpp"

namespace smime::pkcs11 {
namespace {

// Big-endian bytes of a key component, optionally left-padded; wiped on release.
SecureBytes component(const EVP_PKEY* key, const char* name, std::size_t pad_to = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    throw_openssl(ErrorCode::invalid_input, std::string("The private key lacks ") + name);
  }
  SecretBignumPtr bn(raw);
  const std::size_t len =
      std::max<std::size_t>(static_cast<std::size_t>(BN_num_bytes(bn.get())), pad_to);
  SecureBytes out(len);
  BN_bn2binpad(bn.get(), out.data(), static_cast<int>(len));
  return out;
}

CK_OBJECT_HANDLE create(Session& session, AttributeTemplate& attrs, const char* what) {
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  check_rv(session.fn()->C_CreateObject(session.handle(), attrs.data(), attrs.size(), &handle),
           what);
  return handle;
}

std::vector<unsigned char> der_octet_string(const std::vector<unsigned char>& point) {
  Asn1OctetStringPtr os(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(os.get(), point.data(), static_cast<int>(point.size()));
  int len = i2d_ASN1_OCTET_STRING(os.get(), nullptr);
  std::vector<unsigned char> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_ASN1_OCTET_STRING(os.get(), &p);
  return der;
}

}  // namespace

void write_key_objects(Session& session, const EVP_PKEY* key, std::span<const unsigned char> id,
                       const std::string& label, bool exportable) {
  AttributeTemplate priv;
  priv.add(CKA_CLASS, CK_ULONG{CKO_PRIVATE_KEY}).add(CKA_TOKEN, true).add(CKA_PRIVATE, true);
  // Always sensitive: an exportable key is extractable only wrapped (key_wrap.cpp), never
  // readable in clear by a PKCS#11 client.
  priv.add(CKA_SENSITIVE, true).add(CKA_EXTRACTABLE, exportable);
  priv.add(CKA_ID, id).add(CKA_LABEL, label).add(CKA_SIGN, true);
  AttributeTemplate pub;
  pub.add(CKA_CLASS, CK_ULONG{CKO_PUBLIC_KEY}).add(CKA_TOKEN, true).add(CKA_PRIVATE, false);
  pub.add(CKA_ID, id).add(CKA_LABEL, label).add(CKA_VERIFY, true);

  if (EVP_PKEY_is_a(key, "RSA")) {
    SecureBytes n = component(key, OSSL_PKEY_PARAM_RSA_N);
    SecureBytes e = component(key, OSSL_PKEY_PARAM_RSA_E);
    priv.add(CKA_KEY_TYPE, CK_ULONG{CKK_RSA}).add(CKA_DECRYPT, true).add(CKA_UNWRAP, true);
    priv.add(CKA_MODULUS, n).add(CKA_PUBLIC_EXPONENT, e);
    priv.add(CKA_PRIVATE_EXPONENT, component(key, OSSL_PKEY_PARAM_RSA_D));
    priv.add(CKA_PRIME_1, component(key, OSSL_PKEY_PARAM_RSA_FACTOR1));
    priv.add(CKA_PRIME_2, component(key, OSSL_PKEY_PARAM_RSA_FACTOR2));
    priv.add(CKA_EXPONENT_1, component(key, OSSL_PKEY_PARAM_RSA_EXPONENT1));
    priv.add(CKA_EXPONENT_2, component(key, OSSL_PKEY_PARAM_RSA_EXPONENT2));
    priv.add(CKA_COEFFICIENT, component(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
    pub.add(CKA_KEY_TYPE, CK_ULONG{CKK_RSA}).add(CKA_ENCRYPT, true).add(CKA_WRAP, true);
    pub.add(CKA_MODULUS, n).add(CKA_PUBLIC_EXPONENT, e);
  } else if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       nullptr) != 1) {
      throw_openssl(ErrorCode::unsupported, "EC key without a named curve");
    }
    const int nid = OBJ_sn2nid(group);
    if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1) {
      throw Error(ErrorCode::unsupported,
                  std::string("Unsupported EC curve ") + group + ": use P-256, P-384 or P-521");
    }
    std::vector<unsigned char> point(256);
    std::size_t point_len = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(),
                                        &point_len) != 1) {
      throw_openssl(ErrorCode::invalid_input, "EC key without a public point");
    }
    point.resize(point_len);
    const std::vector<unsigned char> params = ec_params_for_curve(nid);
    const std::size_t field_bytes = (static_cast<std::size_t>(EVP_PKEY_get_bits(key)) + 7) / 8;
    priv.add(CKA_KEY_TYPE, CK_ULONG{CKK_EC}).add(CKA_DERIVE, true).add(CKA_EC_PARAMS, params);
    priv.add(CKA_VALUE, component(key, OSSL_PKEY_PARAM_PRIV_KEY, field_bytes));
    pub.add(CKA_KEY_TYPE, CK_ULONG{CKK_EC}).add(CKA_DERIVE, true).add(CKA_EC_PARAMS, params);
    pub.add(CKA_EC_POINT, der_octet_string(point));
  } else {
    throw Error(ErrorCode::unsupported, std::string("Unsupported private key type ") +
                                            EVP_PKEY_get0_type_name(key) +
                                            ": only RSA and EC keys are accepted");
  }

  // The public object is written too: pkcs11-provider needs it for EC keys (SPEC §12).
  CK_OBJECT_HANDLE priv_handle = create(session, priv, "C_CreateObject(private key)");
  try {
    create(session, pub, "C_CreateObject(public key)");
  } catch (...) {
    session.fn()->C_DestroyObject(session.handle(), priv_handle);
    throw;
  }
}

}  // namespace smime::pkcs11
