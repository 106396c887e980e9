#include "support/smime_capabilities.hpp"

#include <openssl/cms.h>
#include <openssl/rsa.h>

#include "smime/common/error.hpp"

namespace smime::test {
namespace {

// rsaesOAEP with SHA-256 for the hash and MGF1.
X509AlgorPtr oaep_sha256() {
  RsaOaepParamsPtr params(RSA_OAEP_PARAMS_new());
  X509AlgorPtr hash(X509_ALGOR_new());
  X509AlgorPtr mgf1_hash(X509_ALGOR_new());
  if (!params || !hash || !mgf1_hash) throw_openssl(ErrorCode::internal, "test: OAEP params");
  X509_ALGOR_set_md(hash.get(), EVP_sha256());
  X509_ALGOR_set_md(mgf1_hash.get(), EVP_sha256());
  params->hashFunc = hash.release();
  params->maskGenFunc = X509_ALGOR_new();
  ASN1_STRING* mgf_param = ASN1_item_pack(mgf1_hash.get(), ASN1_ITEM_rptr(X509_ALGOR), nullptr);
  if (params->maskGenFunc == nullptr || mgf_param == nullptr ||
      X509_ALGOR_set0(params->maskGenFunc, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, mgf_param) !=
          1) {
    throw_openssl(ErrorCode::internal, "test: MGF1");
  }
  ASN1_STRING* packed = ASN1_item_pack(params.get(), ASN1_ITEM_rptr(RSA_OAEP_PARAMS), nullptr);
  X509AlgorPtr alg(X509_ALGOR_new());
  if (packed == nullptr || !alg ||
      X509_ALGOR_set0(alg.get(), OBJ_nid2obj(NID_rsaesOaep), V_ASN1_SEQUENCE, packed) != 1) {
    throw_openssl(ErrorCode::internal, "test: OAEP capability");
  }
  return alg;
}

X509AlgorStackPtr capability_list(const Announcement& announced) {
  X509AlgorStackPtr caps(sk_X509_ALGOR_new_null());
  STACK_OF(X509_ALGOR)* list = caps.get();
  for (int nid : announced.ciphers) {
    if (CMS_add_simple_smimecap(&list, nid, -1) != 1) throw_openssl(ErrorCode::internal, "cap");
  }
  if (announced.oaep_sha256) {
    X509AlgorPtr alg = oaep_sha256();
    if (sk_X509_ALGOR_push(list, alg.get()) <= 0) throw_openssl(ErrorCode::internal, "cap");
    (void)alg.release();
  }
  if (announced.oaep && CMS_add_simple_smimecap(&list, NID_rsaesOaep, -1) != 1) {
    throw_openssl(ErrorCode::internal, "cap");
  }
  return caps;
}

}  // namespace

std::vector<unsigned char> capabilities_der(const Announcement& announced) {
  X509AlgorStackPtr caps = capability_list(announced);
  unsigned char* raw = nullptr;
  const int n = i2d_X509_ALGORS(caps.get(), &raw);
  if (n <= 0) throw_openssl(ErrorCode::internal, "test: i2d_X509_ALGORS");
  OpensslBytesPtr owner(raw);
  return {raw, raw + n};
}

std::vector<unsigned char> sign_announcing(std::string_view entity, X509* cert, EVP_PKEY* key,
                                           const std::optional<Announcement>& announced,
                                           const std::vector<X509*>& extra) {
  const int flags = CMS_BINARY | CMS_DETACHED | CMS_PARTIAL | CMS_NOSMIMECAP;
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms) throw_openssl(ErrorCode::internal, "test: CMS_sign");
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), cert, key, EVP_sha256(), flags);
  if (si == nullptr) throw_openssl(ErrorCode::internal, "test: CMS_add1_signer");
  if (announced) {
    X509AlgorStackPtr caps = capability_list(*announced);
    if (CMS_add_smimecap(si, caps.get()) != 1) throw_openssl(ErrorCode::internal, "smimecap");
    if (announced->signing_time != 0) {
      Asn1TimePtr when(ASN1_TIME_set(nullptr, announced->signing_time));
      if (!when ||
          CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, when->type, when.get(), -1) != 1) {
        throw_openssl(ErrorCode::internal, "test: signingTime");
      }
    }
  }
  for (X509* c : extra) {
    if (CMS_add1_cert(cms.get(), c) != 1) throw_openssl(ErrorCode::internal, "test: cert");
  }
  BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
  if (!in || CMS_final(cms.get(), in.get(), nullptr, flags) != 1) {
    throw_openssl(ErrorCode::internal, "test: CMS_final");
  }
  unsigned char* raw = nullptr;
  const int n = i2d_CMS_ContentInfo(cms.get(), &raw);
  if (n <= 0) throw_openssl(ErrorCode::internal, "test: i2d_CMS_ContentInfo");
  OpensslBytesPtr owner(raw);
  return {raw, raw + n};
}

namespace {

bool names(CMS_RecipientInfo* ri, X509* recipient) {
  if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
    return CMS_RecipientInfo_ktri_cert_cmp(ri, recipient) == 0;
  }
  if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_AGREE) return false;
  STACK_OF(CMS_RecipientEncryptedKey)* reks = CMS_RecipientInfo_kari_get0_reks(ri);
  for (int i = 0; i < sk_CMS_RecipientEncryptedKey_num(reks); ++i) {
    if (CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(reks, i),
                                           recipient) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

RecipientAlgorithm recipient_algorithm(CMS_ContentInfo* cms, X509* recipient) {
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms);
  for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, i);
    if (!names(ri, recipient)) continue;
    X509_ALGOR* alg = nullptr;
    if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
      CMS_RecipientInfo_ktri_get0_algs(ri, nullptr, nullptr, &alg);
    } else {
      ASN1_OCTET_STRING* ukm = nullptr;
      CMS_RecipientInfo_kari_get0_alg(ri, &alg, &ukm);
    }
    RecipientAlgorithm entry;
    if (alg != nullptr) {
      const ASN1_OBJECT* oid = nullptr;
      int type = 0;
      const void* value = nullptr;
      X509_ALGOR_get0(&oid, &type, &value, alg);
      entry.key_encryption = OBJ_obj2nid(oid);
      if (entry.key_encryption == NID_rsaesOaep) {
        entry.oaep_hash = NID_sha1;  // absent parameters: the defaults
        if (type == V_ASN1_SEQUENCE) {
          const auto* seq = static_cast<const ASN1_STRING*>(value);
          const unsigned char* p = ASN1_STRING_get0_data(seq);
          RsaOaepParamsPtr params(d2i_RSA_OAEP_PARAMS(nullptr, &p, ASN1_STRING_length(seq)));
          if (params && params->hashFunc != nullptr) {
            const ASN1_OBJECT* hash = nullptr;
            X509_ALGOR_get0(&hash, nullptr, nullptr, params->hashFunc);
            entry.oaep_hash = OBJ_obj2nid(hash);
          }
        }
      }
    }
    return entry;
  }
  return {};
}

}  // namespace smime::test
