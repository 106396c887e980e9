#include <openssl/rsa.h>

#include "capabilities.hpp"
#include "cms_operations.hpp"
#include "smime/common/error.hpp"

namespace smime::engine::cms {
namespace {

// P-384 keys sign with SHA-384 and P-521 with SHA-512 (RFC 5753 / SPEC §7); others SHA-256.
const EVP_MD* digest_for(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC")) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits > 384) return EVP_sha512();
    if (bits > 256) return EVP_sha384();
  }
  return EVP_sha256();
}

std::string micalg_for(const EVP_MD* md) {
  switch (EVP_MD_get_type(md)) {
    case NID_sha384:
      return "sha-384";
    case NID_sha512:
      return "sha-512";
    default:
      return "sha-256";
  }
}

// What we can decrypt, strongest first (RFC 8551 §2.5.2): AES-GCM, then AES-CBC.
void add_capabilities(CMS_SignerInfo* si) {
  X509AlgorStackPtr caps(sk_X509_ALGOR_new_null());
  STACK_OF(X509_ALGOR)* list = caps.get();
  bool ok = list != nullptr;
  for (int nid : kApplianceCiphers) ok = ok && CMS_add_simple_smimecap(&list, nid, -1) == 1;
  ok = ok && CMS_add_smimecap(si, list) == 1;
  if (!ok) throw_openssl(ErrorCode::crypto, "Cannot add the S/MIME capabilities");
}

}  // namespace

Signature sign(std::string_view content, const SignatureRequest& request) {
  const int flags =
      CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | (request.detached ? CMS_DETACHED : 0);
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms) throw_openssl(ErrorCode::crypto, "Cannot create the signature");
  const EVP_MD* md = digest_for(request.key);
  const bool pss = request.scheme == SignatureScheme::rsa_pss && EVP_PKEY_is_a(request.key, "RSA");
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), request.signer, request.key, md,
                                       flags | (pss ? CMS_KEY_PARAM : 0));
  if (si == nullptr) throw_openssl(ErrorCode::crypto, "Cannot add the signer");
  if (pss) {
    EVP_PKEY_CTX* pctx = CMS_SignerInfo_get0_pkey_ctx(si);
    if (pctx == nullptr || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0) {
      throw_openssl(ErrorCode::crypto, "Cannot set up RSA-PSS");
    }
  }
  add_capabilities(si);
  for (X509* issuer : request.chain) {
    if (CMS_add1_cert(cms.get(), issuer) != 1)
      throw_openssl(ErrorCode::crypto, "Cannot embed the chain");
  }
  BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  if (!in || CMS_final(cms.get(), in.get(), nullptr, flags) != 1) {
    throw_openssl(ErrorCode::token_failure, "The token could not sign the message");
  }
  unsigned char* raw = nullptr;
  const int n = i2d_CMS_ContentInfo(cms.get(), &raw);
  if (n <= 0) throw_openssl(ErrorCode::crypto, "Cannot encode the signature");
  OpensslBytesPtr owner(raw);
  return Signature{{raw, raw + n}, micalg_for(md)};
}

CmsPtr parse(std::span<const unsigned char> der) {
  if (der.empty()) throw Error(ErrorCode::invalid_input, "The S/MIME part is empty");
  BioPtr in(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  CmsPtr cms(in ? d2i_CMS_bio(in.get(), nullptr) : nullptr);
  if (!cms) {
    drain_openssl_errors();
    throw Error(ErrorCode::invalid_input,
                "The S/MIME part is not a valid CMS structure (truncated or garbage)");
  }
  return cms;
}

}  // namespace smime::engine::cms
