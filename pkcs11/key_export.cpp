#include <openssl/core_names.h>
#include <openssl/objects.h>

#include "attributes.hpp"
#include "key_objects.hpp"
#include "smime/common/error.hpp"

namespace smime::pkcs11 {
namespace {

// A key component as a BIGNUM that is cleared when released.
SecretBignumPtr component(Session& s, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  auto value = read_attribute(s, object, type);
  if (!value) {
    throw Error(ErrorCode::forbidden,
                "The private key is held in the token and cannot be exported");
  }
  SecretBignumPtr bn(BN_bin2bn(value->data(), static_cast<int>(value->size()), nullptr));
  OPENSSL_cleanse(value->data(), value->size());
  return bn;
}

}  // namespace

EvpPkeyPtr read_private_key(Session& s, CK_OBJECT_HANDLE private_object,
                            CK_OBJECT_HANDLE public_object) {
  // The token's own flags decide; a non-extractable key never leaves, whatever our records say.
  if (!read_bool(s, private_object, CKA_EXTRACTABLE).value_or(false)) {
    throw Error(ErrorCode::forbidden,
                "The private key is held in the token and cannot be exported (it was not "
                "imported as exportable)");
  }
  if (read_bool(s, private_object, CKA_SENSITIVE).value_or(true)) {
    return unwrap_extractable_key(s, private_object);
  }
  auto key_type = read_ulong(s, private_object, CKA_KEY_TYPE);
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (key_type == CK_ULONG{CKK_RSA}) {
    struct Part {
      CK_ATTRIBUTE_TYPE attribute;
      const char* param;
    };
    static constexpr Part kParts[] = {
        {CKA_MODULUS, OSSL_PKEY_PARAM_RSA_N},
        {CKA_PUBLIC_EXPONENT, OSSL_PKEY_PARAM_RSA_E},
        {CKA_PRIVATE_EXPONENT, OSSL_PKEY_PARAM_RSA_D},
        {CKA_PRIME_1, OSSL_PKEY_PARAM_RSA_FACTOR1},
        {CKA_PRIME_2, OSSL_PKEY_PARAM_RSA_FACTOR2},
        {CKA_EXPONENT_1, OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {CKA_EXPONENT_2, OSSL_PKEY_PARAM_RSA_EXPONENT2},
        {CKA_COEFFICIENT, OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
    };
    std::vector<SecretBignumPtr> values;  // must outlive the parameter build
    for (const Part& part : kParts) {
      values.push_back(component(s, private_object, part.attribute));
      OSSL_PARAM_BLD_push_BN(bld.get(), part.param, values.back().get());
    }
    return key_from_params("RSA", bld.get(), EVP_PKEY_KEYPAIR);
  }
  if (key_type == CK_ULONG{CKK_EC}) {
    auto params = read_attribute(s, private_object, CKA_EC_PARAMS);
    auto point = public_object == CK_INVALID_HANDLE
                     ? std::nullopt
                     : read_attribute(s, public_object, CKA_EC_POINT);
    if (!params || !point) {
      throw Error(ErrorCode::token_failure, "EC key without curve or public point in the token");
    }
    const char* group = OBJ_nid2sn(curve_from_ec_params(*params));
    SecretBignumPtr d = component(s, private_object, CKA_VALUE);
    std::vector<unsigned char> raw_point = unwrap_ec_point(*point);
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, raw_point.data(),
                                     raw_point.size());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get());
    return key_from_params("EC", bld.get(), EVP_PKEY_KEYPAIR);
  }
  throw Error(ErrorCode::unsupported, "Key object of an unsupported type (only RSA and EC)");
}

}  // namespace smime::pkcs11
