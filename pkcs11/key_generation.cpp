#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include <chrono>
#include <thread>

#include "attributes.hpp"
#include "key_objects.hpp"
#include "smime/common/error.hpp"
#include "smime/pkcs11/module.hpp"

namespace smime::pkcs11 {
namespace {

struct GenerationSpec {
  CK_KEY_TYPE key_type;
  CK_ULONG rsa_bits;  // 0 for EC
  int curve_nid;      // NID_undef for RSA
};

GenerationSpec spec_for(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::rsa_2048:
      return {CKK_RSA, 2048, NID_undef};
    case KeyAlgorithm::rsa_3072:
      return {CKK_RSA, 3072, NID_undef};
    case KeyAlgorithm::rsa_4096:
      return {CKK_RSA, 4096, NID_undef};
    case KeyAlgorithm::ec_p256:
      return {CKK_EC, 0, NID_X9_62_prime256v1};
    case KeyAlgorithm::ec_p384:
      return {CKK_EC, 0, NID_secp384r1};
  }
  throw Error(ErrorCode::unsupported, "Unknown key algorithm");
}

// SoftHSM2's file store, while another process writes it, can make a fresh object briefly
// unknown to this process (CKR_OBJECT_HANDLE_INVALID): a few bounded retries.
void set_attributes_retrying(Session& session, CK_OBJECT_HANDLE object,
                             AttributeTemplate& attributes, const char* operation) {
  for (int attempt = 0;; ++attempt) {
    const CK_RV rv = session.fn()->C_SetAttributeValue(session.handle(), object, attributes.data(),
                                                       attributes.size());
    if (rv != CKR_OBJECT_HANDLE_INVALID || attempt == 4) return check_rv(rv, operation);
    std::this_thread::sleep_for(std::chrono::milliseconds(10 << attempt));
  }
}

}  // namespace

std::vector<unsigned char> generate_key_pair(Session& session, KeyAlgorithm algorithm,
                                             const std::string& label) {
  const GenerationSpec spec = spec_for(algorithm);
  // A random provisional id; replaced by the public-key hash once the pair exists.
  std::vector<unsigned char> provisional(20);
  if (RAND_bytes(provisional.data(), static_cast<int>(provisional.size())) != 1) {
    throw_openssl(ErrorCode::crypto, "No randomness for a key id");
  }

  AttributeTemplate pub;
  pub.add(CKA_TOKEN, true).add(CKA_PRIVATE, false).add(CKA_VERIFY, true);
  pub.add(CKA_ID, provisional).add(CKA_LABEL, label);
  AttributeTemplate priv;
  priv.add(CKA_TOKEN, true).add(CKA_PRIVATE, true).add(CKA_SENSITIVE, true);
  priv.add(CKA_EXTRACTABLE, false).add(CKA_SIGN, true);
  priv.add(CKA_ID, provisional).add(CKA_LABEL, label);

  CK_MECHANISM mechanism{};
  if (spec.key_type == CKK_RSA) {
    static const unsigned char kExponent[] = {0x01, 0x00, 0x01};
    pub.add(CKA_MODULUS_BITS, spec.rsa_bits).add(CKA_PUBLIC_EXPONENT, kExponent);
    pub.add(CKA_ENCRYPT, true).add(CKA_WRAP, true);
    priv.add(CKA_DECRYPT, true).add(CKA_UNWRAP, true);
    mechanism.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
  } else {
    pub.add(CKA_EC_PARAMS, ec_params_for_curve(spec.curve_nid)).add(CKA_DERIVE, true);
    priv.add(CKA_DERIVE, true);
    mechanism.mechanism = CKM_EC_KEY_PAIR_GEN;
  }

  CK_OBJECT_HANDLE pub_handle = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE priv_handle = CK_INVALID_HANDLE;
  check_rv(session.fn()->C_GenerateKeyPair(session.handle(), &mechanism, pub.data(), pub.size(),
                                           priv.data(), priv.size(), &pub_handle, &priv_handle),
           "C_GenerateKeyPair");
  try {
    EvpPkeyPtr public_key = read_public_key(session, pub_handle);
    std::vector<unsigned char> id = key_id_for(public_key.get());
    AttributeTemplate set_id;
    set_id.add(CKA_ID, id);
    for (CK_OBJECT_HANDLE object : {pub_handle, priv_handle}) {
      set_attributes_retrying(session, object, set_id, "C_SetAttributeValue(CKA_ID)");
    }
    return id;
  } catch (...) {
    // No half-made key pair stays in the token.
    session.fn()->C_DestroyObject(session.handle(), priv_handle);
    session.fn()->C_DestroyObject(session.handle(), pub_handle);
    throw;
  }
}

}  // namespace smime::pkcs11
