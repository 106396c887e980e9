#include "interop/cms_inspect.hpp"

#include <openssl/cms.h>
#include <openssl/rsa.h>

#include <stdexcept>

#include "smime/common/handles.hpp"

namespace smime::test::interop {
namespace {

CmsPtr parse(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) throw std::runtime_error("not a DER CMS ContentInfo");
  return cms;
}

std::string long_name(const ASN1_OBJECT* object) {
  const int nid = OBJ_obj2nid(object);
  if (nid != NID_undef) return OBJ_nid2ln(nid);
  char text[128] = {};
  OBJ_obj2txt(text, sizeof text, object, 1);
  return text;
}

std::string short_name(const ASN1_OBJECT* object) {
  const int nid = OBJ_obj2nid(object);
  return nid != NID_undef ? OBJ_nid2sn(nid) : long_name(object);
}

// The hash named by an optional AlgorithmIdentifier; absent means SHA-1 (RFC 4055 defaults).
std::string hash_or_sha1(const X509_ALGOR* algorithm) {
  return algorithm != nullptr ? short_name(algorithm->algorithm) : "SHA1";
}

// The content-encryption algorithm: OpenSSL 3.0 has no getter for it, but prints it.
std::string content_cipher(CMS_ContentInfo* cms) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  CMS_ContentInfo_print_ctx(bio.get(), cms, 0, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  const std::string text(data, static_cast<std::size_t>(size));
  const auto label = text.find("contentEncryptionAlgorithm:");
  if (label == std::string::npos) return {};
  const auto start = text.find("algorithm: ", label);
  if (start == std::string::npos) return {};
  const auto value = start + std::string("algorithm: ").size();
  return text.substr(value, text.find(" (", value) - value);
}

SignerSummary describe_signer(CMS_SignerInfo* si) {
  SignerSummary s;
  X509_ALGOR* digest = nullptr;
  X509_ALGOR* signature = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, &signature);
  s.digest = short_name(digest->algorithm);
  s.signature = long_name(signature->algorithm);
  if (OBJ_obj2nid(signature->algorithm) == NID_rsassaPss && signature->parameter != nullptr) {
    RsaPssParamsPtr params(static_cast<RSA_PSS_PARAMS*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), signature->parameter)));
    if (params) {
      s.pss_hash = hash_or_sha1(params->hashAlgorithm);
      s.pss_salt_length = params->saltLength != nullptr
                              ? static_cast<int>(ASN1_INTEGER_get(params->saltLength))
                              : 20;
    }
  }
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    s.signed_attributes.push_back(
        short_name(X509_ATTRIBUTE_get0_object(CMS_signed_get_attr(si, i))));
  }
  return s;
}

RecipientSummary describe_ktri(CMS_RecipientInfo* ri) {
  RecipientSummary r;
  r.kind = "ktri";
  X509_ALGOR* algorithm = nullptr;
  CMS_RecipientInfo_ktri_get0_algs(ri, nullptr, nullptr, &algorithm);
  r.key_encryption = long_name(algorithm->algorithm);
  if (OBJ_obj2nid(algorithm->algorithm) == NID_rsaesOaep) {
    r.oaep_hash = "SHA1";
    if (algorithm->parameter != nullptr && algorithm->parameter->type == V_ASN1_SEQUENCE) {
      RsaOaepParamsPtr params(static_cast<RSA_OAEP_PARAMS*>(
          ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_OAEP_PARAMS), algorithm->parameter)));
      if (params) r.oaep_hash = hash_or_sha1(params->hashFunc);
    }
  }
  return r;
}

RecipientSummary describe_kari(CMS_RecipientInfo* ri) {
  RecipientSummary r;
  r.kind = "kari";
  X509_ALGOR* algorithm = nullptr;
  ASN1_OCTET_STRING* ukm = nullptr;
  CMS_RecipientInfo_kari_get0_alg(ri, &algorithm, &ukm);
  r.key_encryption = long_name(algorithm->algorithm);
  // The parameter is the key-wrap AlgorithmIdentifier (RFC 5753 §7.1.4).
  if (algorithm->parameter != nullptr && algorithm->parameter->type == V_ASN1_SEQUENCE) {
    const ASN1_STRING* seq = algorithm->parameter->value.sequence;
    const unsigned char* p = ASN1_STRING_get0_data(seq);
    X509AlgorPtr wrap(d2i_X509_ALGOR(nullptr, &p, ASN1_STRING_length(seq)));
    if (wrap) r.key_wrap = long_name(wrap->algorithm);
  }
  return r;
}

}  // namespace

CmsSummary inspect_cms(const std::string& der) {
  CmsPtr cms = parse(der);
  CmsSummary summary;
  switch (OBJ_obj2nid(CMS_get0_type(cms.get()))) {
    case NID_pkcs7_signed:
      summary.content_type = "signed-data";
      break;
    case NID_pkcs7_enveloped:
      summary.content_type = "enveloped-data";
      break;
    case NID_id_smime_ct_authEnvelopedData:
      summary.content_type = "auth-enveloped-data";
      break;
    default:
      summary.content_type = long_name(CMS_get0_type(cms.get()));
  }
  if (summary.content_type == "signed-data") {
    summary.has_content = CMS_is_detached(cms.get()) == 0;
    STACK_OF(CMS_SignerInfo)* signers = CMS_get0_SignerInfos(cms.get());
    for (int i = 0; i < sk_CMS_SignerInfo_num(signers); ++i) {
      summary.signers.push_back(describe_signer(sk_CMS_SignerInfo_value(signers, i)));
    }
    X509StackPtr certs(CMS_get1_certs(cms.get()));
    summary.certificate_count = certs ? sk_X509_num(certs.get()) : 0;
  } else {
    summary.content_cipher = content_cipher(cms.get());
  }
  return summary;
}

std::optional<RecipientSummary> recipient_for(const std::string& der, X509* certificate) {
  CmsPtr cms = parse(der);
  STACK_OF(CMS_RecipientInfo)* infos = CMS_get0_RecipientInfos(cms.get());
  for (int i = 0; i < sk_CMS_RecipientInfo_num(infos); ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(infos, i);
    const int type = CMS_RecipientInfo_type(ri);
    if (type == CMS_RECIPINFO_TRANS && CMS_RecipientInfo_ktri_cert_cmp(ri, certificate) == 0) {
      return describe_ktri(ri);
    }
    if (type == CMS_RECIPINFO_AGREE) {
      STACK_OF(CMS_RecipientEncryptedKey)* keys = CMS_RecipientInfo_kari_get0_reks(ri);
      for (int k = 0; k < sk_CMS_RecipientEncryptedKey_num(keys); ++k) {
        if (CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(keys, k),
                                               certificate) == 0) {
          return describe_kari(ri);
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace smime::test::interop
