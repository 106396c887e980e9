#include "support/correspondent_mail.hpp"

#include <openssl/cms.h>

#include "smime/certs/crl.hpp"
#include "smime/common/error.hpp"
#include "smime/common/handles.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::test {

namespace {

X509StackPtr certificate_stack(const std::vector<const X509*>& chain) {
  X509StackPtr certs(sk_X509_new_null());
  for (const X509* c : chain) {
    X509_up_ref(const_cast<X509*>(c));
    sk_X509_push(certs.get(), const_cast<X509*>(c));
  }
  return certs;
}

CMS_SignerInfo* add_signer(CMS_ContentInfo* cms, const IssuedCertificate& signer,
                           const CorrespondentSignature& how, int flags) {
  if (!how.embed_signer || how.embed_instead != nullptr) flags |= CMS_NOCERTS;
  if (!how.signed_attributes) flags |= CMS_NOATTR;
  CMS_SignerInfo* si = CMS_add1_signer(cms, signer.cert.get(), signer.key.get(), how.digest, flags);
  if (si == nullptr) throw_openssl(ErrorCode::internal, "test: CMS_add1_signer");
  if (how.embed_instead != nullptr &&
      CMS_add1_cert(cms, const_cast<X509*>(how.embed_instead)) != 1) {
    throw_openssl(ErrorCode::internal, "test: CMS_add1_cert");
  }
  if (how.signing_time) {
    Asn1TimePtr when(ASN1_TIME_adj(nullptr, *how.signing_time, 0, 0));
    if (!when ||
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, when->type, when.get(), -1) != 1) {
      throw_openssl(ErrorCode::internal, "test: signingTime");
    }
  }
  for (const auto& bytes : how.crls) {
    X509CrlPtr crl = certs::parse_crl(bytes).crl;
    if (CMS_add1_crl(cms, crl.get()) != 1) throw_openssl(ErrorCode::internal, "test: CMS_add1_crl");
  }
  return si;
}

std::vector<unsigned char> der_of(CMS_ContentInfo* cms) {
  unsigned char* raw = nullptr;
  const int n = i2d_CMS_ContentInfo(cms, &raw);
  if (n <= 0) throw_openssl(ErrorCode::internal, "test: i2d_CMS_ContentInfo");
  OpensslBytesPtr owner(raw);
  return {raw, raw + n};
}

}  // namespace

std::string correspondent_signed(const IssuedCertificate& signer, const std::string& message,
                                 const CorrespondentSignature& how) {
  auto parts = engine::mime::prepare_outgoing(message);
  const std::string& entity = parts.content_entity;
  const int flags = CMS_BINARY | CMS_PARTIAL | (how.detached ? CMS_DETACHED : 0);
  X509StackPtr certs = certificate_stack(how.chain);
  CmsPtr cms(CMS_sign(nullptr, nullptr, certs.get(), nullptr, flags));
  if (!cms) throw_openssl(ErrorCode::internal, "test: CMS_sign");
  CMS_SignerInfo* si = add_signer(cms.get(), signer, how, flags);
  BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
  if (CMS_final(cms.get(), in.get(), nullptr, flags) != 1) {
    throw_openssl(ErrorCode::internal, "test: CMS_final");
  }
  if (how.signature_oid != nullptr) {
    X509_ALGOR* signature = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, nullptr, nullptr, &signature);
    X509_ALGOR_set0(signature, OBJ_txt2obj(how.signature_oid, 1), V_ASN1_UNDEF, nullptr);
  }
  const std::vector<unsigned char> der = der_of(cms.get());
  const std::string wrapped = how.detached
                                  ? engine::mime::compose_multipart_signed(entity, der, "sha-256")
                                  : engine::mime::compose_pkcs7_mime(der, "signed-data");
  return engine::mime::join(parts.outer_headers, wrapped);
}

std::string correspondent_text(const std::string& from, const std::string& subject,
                               const std::string& message_id) {
  std::string text =
      "From: " + from + "\r\nTo: support@example.org\r\nSubject: " + subject + "\r\n";
  if (!message_id.empty()) text += "Message-ID: <" + message_id + ">\r\n";
  return text + "Content-Type: text/plain; charset=us-ascii\r\n\r\nHello.\r\n";
}

}  // namespace smime::test
