// The S/MIME engine on a real SoftHSM2 token and SQLite file: a test CA, org identities whose
// keys are in the token, correspondents with software keys (their certificates stored), and
// messages to process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "smime/engine/engine.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/store.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/test_certs.hpp"

namespace smime::test {

struct Identity {
  IssuedCertificate issued;  // key: the software key, or the token key's public half
  std::string email;
  std::string fingerprint;
};

struct MessageSpec {
  std::string from = "support@example.org";
  std::vector<std::string> to = {"alice@example.com"};
  std::vector<std::string> cc = {};
  std::string subject = "Ticket #4711";
  std::string body = "Hello Alice,\r\n\r\nyour ticket has been resolved.\r\n";
  std::string content_headers = "Content-Type: text/plain; charset=us-ascii\r\n";
};

class EngineTest : public SoftHsmTest {
 protected:
  void SetUp() override;

  // An org identity whose key pair is generated in the token, certified by ca_.
  Identity token_identity(const std::string& email, KeyAlgorithm algorithm);
  // An org identity from a software key imported into the token (the test keeps the copy).
  Identity imported_identity(const std::string& email, const std::string& key_kind);
  // A correspondent: software key; the certificate is stored, the key is not in the token.
  Identity contact(const std::string& email, const std::string& key_kind = "rsa-2048");
  // A correspondent from a spec as given (issued by ca_ unless the spec names an issuer).
  Identity contact_from(CertificateSpec spec, const std::string& email);
  // Stores a certificate (PEM); returns its fingerprint.
  std::string store_certificate(const X509* certificate);

  static std::string message(const MessageSpec& spec = {});

  engine::OutgoingResult outgoing(const std::string& message, std::optional<bool> sign,
                                  std::optional<bool> encrypt,
                                  engine::OutgoingRequest request = {});

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<service::CertificateService> certificates_;
  std::unique_ptr<engine::Engine> engine_;
  IssuedCertificate ca_;
};

// A correspondent's client, made with OpenSSL directly and software keys: the message signed
// by `who` (detached multipart/signed or opaque), optionally without embedded certificates.
std::string signed_by(const Identity& who, const std::string& message, bool detached = true,
                      bool embed_certificates = true);
// Detached signature by `signer` with digest `md`, embedding its certificate, `chain` and
// `crls` (DER or PEM each).
std::string signed_carrying(const IssuedCertificate& signer, const std::vector<const X509*>& chain,
                            const std::vector<std::vector<unsigned char>>& crls,
                            const std::string& message, const EVP_MD* md = EVP_sha256());
// The message's content entity encrypted (EnvelopedData, or AuthEnvelopedData for GCM).
std::string encrypted_for(const std::vector<const X509*>& recipients, const std::string& message,
                          const EVP_CIPHER* cipher = EVP_aes_256_cbc());

// The content entity of a message (everything after the outer headers' Content-* split) is
// hard to compare; these read the decrypted body instead.
std::string body_of(const std::string& message);

// Parses DER CMS for inspection in tests.
CmsPtr parse_cms(const std::vector<unsigned char>& der);
// The DER of the base64 body of an application/pkcs7-mime message or the signature part of a
// multipart/signed one.
std::vector<unsigned char> cms_of(const std::string& message);

}  // namespace smime::test
