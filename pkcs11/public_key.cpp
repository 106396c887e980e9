#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include "attributes.hpp"
#include "key_objects.hpp"
#include "smime/common/error.hpp"

namespace smime::pkcs11 {

std::vector<unsigned char> ec_params_for_curve(int nid) {
  Asn1ObjectPtr oid(OBJ_nid2obj(nid));
  int len = i2d_ASN1_OBJECT(oid.get(), nullptr);
  if (len <= 0) throw_openssl(ErrorCode::unsupported, "Unknown curve");
  std::vector<unsigned char> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_ASN1_OBJECT(oid.get(), &p);
  return der;
}

int curve_from_ec_params(std::span<const unsigned char> der) {
  const unsigned char* p = der.data();
  Asn1ObjectPtr oid(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(der.size())));
  if (!oid) return NID_undef;
  return OBJ_obj2nid(oid.get());
}

std::string curve_display_name(int nid) {
  switch (nid) {
    case NID_X9_62_prime256v1:
      return "P-256";
    case NID_secp384r1:
      return "P-384";
    case NID_secp521r1:
      return "P-521";
    default: {
      const char* sn = OBJ_nid2sn(nid);
      return sn != nullptr ? sn : "unknown";
    }
  }
}

// CKA_EC_POINT is a DER OCTET STRING around the point; a few tokens return the raw point.
std::vector<unsigned char> unwrap_ec_point(const std::vector<unsigned char>& value) {
  const unsigned char* p = value.data();
  Asn1OctetStringPtr os(d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(value.size())));
  if (os && p == value.data() + value.size()) {
    return {os->data, os->data + os->length};
  }
  return value;
}

EvpPkeyPtr key_from_params(const char* type, OSSL_PARAM_BLD* bld, int selection) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  // Always the default provider: a token public key becomes a plain software key.
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, "provider=default"));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) <= 0) {
    throw_openssl(ErrorCode::crypto, "Cannot build the key read from the token");
  }
  return EvpPkeyPtr(raw);
}

EvpPkeyPtr read_public_key(Session& session, CK_OBJECT_HANDLE object) {
  auto key_type = read_ulong(session, object, CKA_KEY_TYPE);
  if (!key_type) throw Error(ErrorCode::token_failure, "Key object without CKA_KEY_TYPE");
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (*key_type == CKK_RSA) {
    auto n = read_attribute(session, object, CKA_MODULUS);
    auto e = read_attribute(session, object, CKA_PUBLIC_EXPONENT);
    if (!n || !e) throw Error(ErrorCode::token_failure, "RSA key object without modulus");
    BignumPtr bn_n(BN_bin2bn(n->data(), static_cast<int>(n->size()), nullptr));
    BignumPtr bn_e(BN_bin2bn(e->data(), static_cast<int>(e->size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    return key_from_params("RSA", bld.get(), EVP_PKEY_PUBLIC_KEY);
  }
  if (*key_type == CKK_EC) {
    auto params = read_attribute(session, object, CKA_EC_PARAMS);
    auto point = read_attribute(session, object, CKA_EC_POINT);
    if (!params || !point) throw Error(ErrorCode::token_failure, "EC key object without point");
    int nid = curve_from_ec_params(*params);
    const char* group = OBJ_nid2sn(nid);
    if (nid == NID_undef || group == nullptr) {
      throw Error(ErrorCode::unsupported, "EC key on an unknown curve");
    }
    std::vector<unsigned char> raw_point = unwrap_ec_point(*point);
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, raw_point.data(),
                                     raw_point.size());
    return key_from_params("EC", bld.get(), EVP_PKEY_PUBLIC_KEY);
  }
  throw Error(ErrorCode::unsupported, "Key object of an unsupported type (only RSA and EC)");
}

}  // namespace smime::pkcs11
