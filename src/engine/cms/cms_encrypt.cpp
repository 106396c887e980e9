#include <openssl/rsa.h>

#include "cms_operations.hpp"
#include "smime/common/error.hpp"

namespace smime::engine::cms {
namespace {

const EVP_CIPHER* cipher_for(ContentCipher cipher) {
  switch (cipher) {
    case ContentCipher::aes128_gcm:
      return EVP_aes_128_gcm();
    case ContentCipher::aes256_gcm:
      return EVP_aes_256_gcm();
    case ContentCipher::aes256_cbc:
      break;
  }
  return EVP_aes_256_cbc();
}

void configure_recipient(CMS_RecipientInfo* ri, X509* certificate, KeyTransport transport) {
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  if (key == nullptr || pctx == nullptr) throw_openssl(ErrorCode::crypto, "Cannot add a recipient");
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (transport == KeyTransport::rsa_pkcs1) {
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
        throw_openssl(ErrorCode::crypto, "Cannot set RSA v1.5 key transport");
      }
      return;
    }
    const EVP_MD* md = transport == KeyTransport::rsa_oaep_sha256 ? EVP_sha256() : EVP_sha1();
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(pctx, md) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0) {
      throw_openssl(ErrorCode::crypto, "Cannot set RSA-OAEP key transport");
    }
  } else if (EVP_PKEY_is_a(key, "EC")) {
    // RFC 5753 / RFC 8551: the KDF hash follows the curve (OpenSSL's default is SHA-1).
    const EVP_MD* md = EVP_PKEY_get_bits(key) > 256 ? EVP_sha384() : EVP_sha256();
    if (EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, md) <= 0) {
      throw_openssl(ErrorCode::crypto, "Cannot set the ECDH key derivation");
    }
  } else {
    throw Error(ErrorCode::unsupported, "Recipient keys must be RSA or EC");
  }
}

}  // namespace

std::vector<unsigned char> encrypt(std::string_view content, const std::vector<X509*>& recipients,
                                   ContentCipher cipher,
                                   const std::vector<KeyTransport>& transports) {
  if (recipients.empty()) throw Error(ErrorCode::no_certificate, "There was no recipient found");
  if (transports.size() != recipients.size()) {
    throw Error(ErrorCode::internal, "One key transport per recipient is needed");
  }
  const int flags = CMS_BINARY | CMS_PARTIAL;
  // An AEAD cipher makes OpenSSL build AuthEnvelopedData (RFC 5083).
  CmsPtr cms(CMS_encrypt(nullptr, nullptr, cipher_for(cipher), flags));
  if (!cms) throw_openssl(ErrorCode::crypto, "Cannot create the encrypted message");
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms.get(), recipients[i], CMS_KEY_PARAM);
    if (ri == nullptr) throw_openssl(ErrorCode::crypto, "Cannot add a recipient");
    configure_recipient(ri, recipients[i], transports[i]);
  }
  BioPtr in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  if (!in || CMS_final(cms.get(), in.get(), nullptr, flags) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot encrypt the message");
  }
  unsigned char* raw = nullptr;
  const int n = i2d_CMS_ContentInfo(cms.get(), &raw);
  if (n <= 0) throw_openssl(ErrorCode::crypto, "Cannot encode the encrypted message");
  OpensslBytesPtr owner(raw);
  return {raw, raw + n};
}

}  // namespace smime::engine::cms
