#include "engine_fixture.hpp"

#include <openssl/evp.h>

#include "smime/certs/crl.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/correspondent_mail.hpp"
#include "support/test_keys.hpp"

namespace smime::test {

void EngineTest::SetUp() {
  store_ = store::open_sqlite_store(scratch_.path() / "smime.db");
  certificates_ = std::make_unique<service::CertificateService>(*store_, key_store());
  engine_ = std::make_unique<engine::Engine>(*store_, *certificates_,
                                             [this]() -> KeyStore& { return key_store(); });
  ca_ = issue_certificate(CertificateSpec::authority("Example Org Test CA"));
  store_certificate(ca_.cert.get());
}

std::string EngineTest::store_certificate(const X509* certificate) {
  auto report = certificates_->import_certificates(as_bytes(pem(certificate)));
  if (report.imported.size() != 1) {
    throw Error(ErrorCode::internal,
                "test certificate not imported: " +
                    (report.errors.empty() ? std::string("?") : report.errors[0].message));
  }
  return report.imported[0].record.sha256;
}

namespace {

CertificateSpec org_spec(const std::string& email, bool ec) {
  CertificateSpec spec = CertificateSpec::smime(email);
  spec.key_usages = ec ? std::vector<std::string>{"digitalSignature", "keyAgreement"}
                       : std::vector<std::string>{"digitalSignature", "keyEncipherment"};
  return spec;
}

}  // namespace

Identity EngineTest::token_identity(const std::string& email, KeyAlgorithm algorithm) {
  KeyInfo info = key_store().generate(algorithm, email);
  EvpPkeyPtr public_key = key_store().public_key(info.id);
  CertificateSpec spec = org_spec(email, info.type == KeyType::ec);
  spec.key = public_key.get();
  spec.issued_by(ca_);
  Identity id{issue_certificate(spec), email, ""};
  id.fingerprint = store_certificate(id.issued.cert.get());
  if (!store_->set_certificate_key(id.fingerprint, info.id, false)) {
    throw Error(ErrorCode::internal, "certificate row vanished");
  }
  return id;
}

Identity EngineTest::imported_identity(const std::string& email, const std::string& key_kind) {
  CertificateSpec spec = org_spec(email, key_kind.rfind("ec-", 0) == 0);
  spec.key_kind = key_kind;
  spec.issued_by(ca_);
  Identity id{issue_certificate(spec), email, ""};
  id.fingerprint = store_certificate(id.issued.cert.get());
  const std::string key_pem = pem_pkcs8(id.issued.key.get());
  auto bytes = as_bytes(key_pem);
  service::KeyImportRequest request;
  request.key_file = bytes;
  request.fingerprint = id.fingerprint;
  certificates_->import_private_key(request);
  return id;
}

Identity EngineTest::contact(const std::string& email, const std::string& key_kind) {
  CertificateSpec spec = org_spec(email, key_kind.rfind("ec-", 0) == 0);
  spec.key_kind = key_kind;
  return contact_from(spec, email);
}

Identity EngineTest::contact_from(CertificateSpec s, const std::string& email) {
  if (s.issuer == nullptr) s.issued_by(ca_);
  Identity id{issue_certificate(s), email, ""};
  id.fingerprint = store_certificate(id.issued.cert.get());
  return id;
}

std::string EngineTest::message(const MessageSpec& spec) {
  auto join = [](const std::vector<std::string>& list) {
    std::string out;
    for (const auto& a : list) out += (out.empty() ? "" : ", ") + a;
    return out;
  };
  std::string m = "From: Example Support <" + spec.from + ">\r\n";
  if (!spec.to.empty()) m += "To: " + join(spec.to) + "\r\n";
  if (!spec.cc.empty()) m += "Cc: " + join(spec.cc) + "\r\n";
  m += "Subject: " + spec.subject + "\r\n";
  m += "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\n";
  m += "Message-ID: <4711@example.org>\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += spec.content_headers;
  m += "\r\n";
  m += spec.body;
  return m;
}

engine::OutgoingResult EngineTest::outgoing(const std::string& message, std::optional<bool> sign,
                                            std::optional<bool> encrypt,
                                            engine::OutgoingRequest request) {
  request.message = message;
  request.sign = sign;
  request.encrypt = encrypt;
  return engine_->outgoing(request);
}

std::string signed_by(const Identity& who, const std::string& message, bool detached,
                      bool embed_certificates) {
  return correspondent_signed(who.issued, message,
                              {.detached = detached, .embed_signer = embed_certificates});
}

std::string signed_carrying(const IssuedCertificate& signer, const std::vector<const X509*>& chain,
                            const std::vector<std::vector<unsigned char>>& crls,
                            const std::string& message, const EVP_MD* md) {
  return correspondent_signed(signer, message, {.chain = chain, .crls = crls, .digest = md});
}

std::string encrypted_for(const std::vector<const X509*>& recipients, const std::string& message,
                          const EVP_CIPHER* cipher) {
  auto parts = engine::mime::split_incoming(message);
  const std::string& entity = parts.content_entity;
  X509StackPtr certs(sk_X509_new_null());
  for (const X509* r : recipients) {
    X509* cert = const_cast<X509*>(r);
    X509_up_ref(cert);
    sk_X509_push(certs.get(), cert);
  }
  BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
  CmsPtr cms(CMS_encrypt(certs.get(), in.get(), cipher, CMS_BINARY));
  if (!cms) throw_openssl(ErrorCode::internal, "test: CMS_encrypt");
  unsigned char* raw = nullptr;
  const int n = i2d_CMS_ContentInfo(cms.get(), &raw);
  OpensslBytesPtr owner(raw);
  std::vector<unsigned char> der(raw, raw + n);
  const bool aead = EVP_CIPHER_get_mode(cipher) == EVP_CIPH_GCM_MODE;
  return engine::mime::join(
      parts.outer_headers,
      engine::mime::compose_pkcs7_mime(der, aead ? "authEnveloped-data" : "enveloped-data"));
}

std::string body_of(const std::string& message) {
  const auto split = message.find("\r\n\r\n");
  return split == std::string::npos ? std::string{} : message.substr(split + 4);
}

CmsPtr parse_cms(const std::vector<unsigned char>& der) {
  const unsigned char* p = der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) throw Error(ErrorCode::internal, "test: not CMS");
  return cms;
}

std::vector<unsigned char> cms_of(const std::string& message) {
  auto parts = engine::mime::split_incoming(message);
  return engine::mime::classify(parts.content_entity).cms_der;
}

}  // namespace smime::test
