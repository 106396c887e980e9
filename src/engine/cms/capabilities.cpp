#include "capabilities.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <algorithm>

#include "smime/common/handles.hpp"

namespace smime::engine::cms {
namespace {

int nid_of(const X509_ALGOR* algorithm) {
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  return oid == nullptr ? NID_undef : OBJ_obj2nid(oid);
}

std::string dotted(const X509_ALGOR* algorithm) {
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  char text[96] = {};
  if (oid == nullptr || OBJ_obj2txt(text, sizeof text, oid, 1) <= 0) return {};
  return text;
}

std::string hash_suffix(int nid) {
  switch (nid) {
    case NID_sha1:
      return "";
    case NID_sha256:
      return "-sha256";
    case NID_sha384:
      return "-sha384";
    case NID_sha512:
      return "-sha512";
    default:
      return "?";
  }
}

// The MGF1 hash of RSAES-OAEP-params (SHA-1 when absent); NID_undef when it is not MGF1.
int mgf1_hash(const X509_ALGOR* mask) {
  if (mask == nullptr) return NID_sha1;
  if (nid_of(mask) != NID_mgf1) return NID_undef;
  int type = 0;
  const void* value = nullptr;
  X509_ALGOR_get0(nullptr, &type, &value, mask);
  if (type != V_ASN1_SEQUENCE) return NID_undef;
  const auto* seq = static_cast<const ASN1_STRING*>(value);
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  X509AlgorPtr hash(d2i_X509_ALGOR(nullptr, &p, ASN1_STRING_length(seq)));
  return hash ? nid_of(hash.get()) : NID_undef;
}

// "rsaes-oaep" for the defaults, "rsaes-oaep-sha256" when SHA-256 is both hashes, ...
std::string oaep_name(const X509_ALGOR* algorithm) {
  int type = 0;
  const void* value = nullptr;
  X509_ALGOR_get0(nullptr, &type, &value, algorithm);
  if (type == V_ASN1_UNDEF || type == V_ASN1_NULL) return "rsaes-oaep";
  if (type != V_ASN1_SEQUENCE) return "rsaes-oaep-other";
  const auto* seq = static_cast<const ASN1_STRING*>(value);
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  RsaOaepParamsPtr params(d2i_RSA_OAEP_PARAMS(nullptr, &p, ASN1_STRING_length(seq)));
  if (!params || params->pSourceFunc != nullptr) return "rsaes-oaep-other";  // a label
  const int hash = params->hashFunc == nullptr ? NID_sha1 : nid_of(params->hashFunc);
  const std::string suffix = hash_suffix(hash);
  if (suffix == "?" || mgf1_hash(params->maskGenFunc) != hash) return "rsaes-oaep-other";
  return "rsaes-oaep" + suffix;
}

std::string name_of(const X509_ALGOR* algorithm) {
  switch (nid_of(algorithm)) {
    case NID_aes_256_gcm:
      return "aes256-gcm";
    case NID_aes_192_gcm:
      return "aes192-gcm";
    case NID_aes_128_gcm:
      return "aes128-gcm";
    case NID_aes_256_cbc:
      return "aes256-cbc";
    case NID_aes_192_cbc:
      return "aes192-cbc";
    case NID_aes_128_cbc:
      return "aes128-cbc";
    case NID_des_ede3_cbc:
      return "des-ede3-cbc";
    case NID_rc2_cbc:
      return "rc2-cbc";
    case NID_des_cbc:
      return "des-cbc";
    case NID_rsaesOaep:
      return oaep_name(algorithm);
    default:
      return dotted(algorithm);
  }
}

struct AlgorsFree {
  void operator()(STACK_OF(X509_ALGOR) * stack) const noexcept {
    sk_X509_ALGOR_pop_free(stack, X509_ALGOR_free);
  }
};

}  // namespace

std::vector<std::string> parse_capabilities(const unsigned char* der, std::size_t length) {
  std::vector<std::string> out;
  if (der == nullptr || length == 0 || length > kMaxCapabilitiesBytes) return out;
  const unsigned char* p = der;
  std::unique_ptr<STACK_OF(X509_ALGOR), AlgorsFree> list(
      d2i_X509_ALGORS(nullptr, &p, static_cast<long>(length)));
  if (!list) {
    ERR_clear_error();
    return out;
  }
  for (int i = 0; i < sk_X509_ALGOR_num(list.get()) && out.size() < kMaxCapabilities; ++i) {
    std::string name = name_of(sk_X509_ALGOR_value(list.get(), i));
    if (name.empty() || std::find(out.begin(), out.end(), name) != out.end()) continue;
    out.push_back(std::move(name));
  }
  ERR_clear_error();
  return out;
}

std::vector<std::string> appliance_capabilities() {
  std::vector<std::string> out;
  for (int nid : kApplianceCiphers) {
    X509AlgorPtr algorithm(X509_ALGOR_new());
    if (algorithm && X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(nid), V_ASN1_UNDEF, nullptr)) {
      out.push_back(name_of(algorithm.get()));
    }
  }
  return out;
}

std::vector<std::string> signed_capabilities(CMS_SignerInfo* si) {
  // As OpenSSL's own PKCS7_get_smimecap: the attribute's one value is the SEQUENCE itself.
  const int at = CMS_signed_get_attr_by_NID(si, NID_SMIMECapabilities, -1);
  if (at < 0) return {};
  X509_ATTRIBUTE* attribute = CMS_signed_get_attr(si, at);
  if (attribute == nullptr || X509_ATTRIBUTE_count(attribute) != 1) return {};
  const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attribute, 0);
  if (value == nullptr || value->type != V_ASN1_SEQUENCE) return {};
  const ASN1_STRING* seq = value->value.sequence;
  return parse_capabilities(ASN1_STRING_get0_data(seq),
                            static_cast<std::size_t>(ASN1_STRING_length(seq)));
}

std::vector<std::string> certificate_capabilities(const X509* certificate) {
  const int at = X509_get_ext_by_NID(certificate, NID_SMIMECapabilities, -1);
  if (at < 0) return {};
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(certificate, at));
  if (data == nullptr) return {};
  return parse_capabilities(ASN1_STRING_get0_data(data),
                            static_cast<std::size_t>(ASN1_STRING_length(data)));
}

std::time_t signing_time(CMS_SignerInfo* si) {
  const int at = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (at < 0) return 0;
  X509_ATTRIBUTE* attribute = CMS_signed_get_attr(si, at);
  if (attribute == nullptr || X509_ATTRIBUTE_count(attribute) != 1) return 0;
  const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attribute, 0);
  if (value == nullptr ||
      (value->type != V_ASN1_UTCTIME && value->type != V_ASN1_GENERALIZEDTIME)) {
    return 0;
  }
  struct tm when = {};
  if (ASN1_TIME_to_tm(value->value.utctime, &when) != 1) {
    ERR_clear_error();
    return 0;
  }
  const std::time_t seconds = timegm(&when);
  return seconds > 0 ? seconds : 0;
}

}  // namespace smime::engine::cms
