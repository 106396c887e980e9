// Our encrypted messages decrypted by each peer with the software copy of the recipient's key.
// Each cell first checks that the message uses the content cipher and key transport / key
// agreement the cell names; a peer that fails is given openssl's message with the same
// algorithms as a control (INTEROP_PEER_FAILED).
#include "interop/cms_inspect.hpp"
#include "interop/interop_fixture.hpp"

namespace smime::test::interop {
namespace {

struct EncryptionCase {
  const char* name;
  KeyKind key;
  const char* transport;  // --key-transport (RSA only)
  const char* cipher;     // --cipher
  // What the message must contain.
  const char* content_type;
  const char* content_cipher;
  const char* key_encryption;
  const char* oaep_hash;  // RSA-OAEP only
  const char* key_wrap;   // ECDH only
  // openssl's options for the control.
  const char* openssl_cipher;
  std::vector<std::string> openssl_keyopts;
};

const std::vector<std::string> kOaepSha1 = {"rsa_padding_mode:oaep"};
const std::vector<std::string> kOaepSha256 = {"rsa_padding_mode:oaep", "rsa_oaep_md:sha256",
                                              "rsa_mgf1_md:sha256"};
const std::vector<std::string> kKdfSha256 = {"ecdh_kdf_md:sha256"};
const std::vector<std::string> kKdfSha384 = {"ecdh_kdf_md:sha384"};

const char* const kEnveloped = "enveloped-data";
const char* const kAuthEnveloped = "auth-enveloped-data";
const char* const kP256Kdf = "dhSinglePass-stdDH-sha256kdf-scheme";
const char* const kP384Kdf = "dhSinglePass-stdDH-sha384kdf-scheme";

const EncryptionCase kCases[] = {
    {"RsaPkcs1Aes256Cbc",
     KeyKind::rsa,
     "rsa-pkcs1",
     "aes-256-cbc",
     kEnveloped,
     "aes-256-cbc",
     "rsaEncryption",
     "",
     "",
     "-aes256",
     {}},
    {"RsaPkcs1Aes128Gcm",
     KeyKind::rsa,
     "rsa-pkcs1",
     "aes-128-gcm",
     kAuthEnveloped,
     "aes-128-gcm",
     "rsaEncryption",
     "",
     "",
     "-aes-128-gcm",
     {}},
    {"RsaPkcs1Aes256Gcm",
     KeyKind::rsa,
     "rsa-pkcs1",
     "aes-256-gcm",
     kAuthEnveloped,
     "aes-256-gcm",
     "rsaEncryption",
     "",
     "",
     "-aes-256-gcm",
     {}},
    {"RsaOaepSha1Aes256Cbc", KeyKind::rsa, "rsa-oaep-sha1", "aes-256-cbc", kEnveloped,
     "aes-256-cbc", "rsaesOaep", "SHA1", "", "-aes256", kOaepSha1},
    {"RsaOaepSha1Aes128Gcm", KeyKind::rsa, "rsa-oaep-sha1", "aes-128-gcm", kAuthEnveloped,
     "aes-128-gcm", "rsaesOaep", "SHA1", "", "-aes-128-gcm", kOaepSha1},
    {"RsaOaepSha256Aes256Cbc", KeyKind::rsa, "rsa-oaep-sha256", "aes-256-cbc", kEnveloped,
     "aes-256-cbc", "rsaesOaep", "SHA256", "", "-aes256", kOaepSha256},
    {"RsaOaepSha256Aes256Gcm", KeyKind::rsa, "rsa-oaep-sha256", "aes-256-gcm", kAuthEnveloped,
     "aes-256-gcm", "rsaesOaep", "SHA256", "", "-aes-256-gcm", kOaepSha256},
    {"EcdhP256Aes256Cbc", KeyKind::p256, "", "aes-256-cbc", kEnveloped, "aes-256-cbc", kP256Kdf, "",
     "id-aes256-wrap", "-aes256", kKdfSha256},
    {"EcdhP256Aes128Gcm", KeyKind::p256, "", "aes-128-gcm", kAuthEnveloped, "aes-128-gcm", kP256Kdf,
     "", "id-aes128-wrap", "-aes-128-gcm", kKdfSha256},
    {"EcdhP256Aes256Gcm", KeyKind::p256, "", "aes-256-gcm", kAuthEnveloped, "aes-256-gcm", kP256Kdf,
     "", "id-aes256-wrap", "-aes-256-gcm", kKdfSha256},
    {"EcdhP384Aes256Cbc", KeyKind::p384, "", "aes-256-cbc", kEnveloped, "aes-256-cbc", kP384Kdf, "",
     "id-aes256-wrap", "-aes256", kKdfSha384},
    {"EcdhP384Aes256Gcm", KeyKind::p384, "", "aes-256-gcm", kAuthEnveloped, "aes-256-gcm", kP384Kdf,
     "", "id-aes256-wrap", "-aes-256-gcm", kKdfSha384},
};

void PrintTo(const EncryptionCase& c, std::ostream* os) {
  *os << c.name;
}

using Cell = std::tuple<EncryptionCase, PeerKind>;

class OursEncryptedDecryptsIn : public InteropTest, public ::testing::WithParamInterface<Cell> {
 protected:
  PeerRun peer_decrypts(PeerKind peer, KeyKind key, const std::string& message,
                        const std::string& der) {
    const PeerIdentity& recipient = world().peer(key).files;
    switch (peer) {
      case PeerKind::openssl:
        return world().openssl().decrypt_smime(message, recipient);
      case PeerKind::gpgsm:
        return world().gpgsm().decrypt(der, recipient);
      case PeerKind::nss:
        return world().nss().decrypt(der);
    }
    return {};
  }
};

TEST_P(OursEncryptedDecryptsIn, Peer) {
  const auto& [cell, peer] = GetParam();
  // The recipient's key must be in the peer before anything else is judged.
  if (peer == PeerKind::gpgsm) {
    const PeerRun& imported = world().gpgsm_identity(cell.key);
    if (!imported.ok) INTEROP_PEER_CANNOT(peer_version(peer), peer_words(imported));
  } else if (peer == PeerKind::nss) {
    const PeerRun& imported = world().nss_identity(cell.key);
    if (!imported.ok) INTEROP_PEER_CANNOT(peer_version(peer), peer_words(imported));
  }
  const Identity& sender = world().org(KeyKind::rsa);
  const Identity& recipient = world().peer(cell.key);
  std::vector<std::string> options = {"--sign", "no", "--encrypt", "yes", "--cipher", cell.cipher};
  if (*cell.transport != '\0') options.insert(options.end(), {"--key-transport", cell.transport});
  const OursRun ours = ours_outgoing(
      message_with_entity({sender.files.email, {recipient.files.email}}, text_entity()), options);
  ASSERT_EQ(ours.process.exit_code, 0) << ours.command << "\n" << ours.process.err;

  const std::string der = pkcs7_mime_der(ours.message);
  const CmsSummary summary = inspect_cms(der);
  EXPECT_EQ(summary.content_type, cell.content_type);
  EXPECT_EQ(summary.content_cipher, cell.content_cipher);
  const auto info = recipient_for(der, recipient.cert.get());
  ASSERT_TRUE(info.has_value()) << "no RecipientInfo for " << recipient.files.email;
  EXPECT_EQ(info->kind, cell.key == KeyKind::rsa ? "ktri" : "kari");
  EXPECT_EQ(info->key_encryption, cell.key_encryption);
  EXPECT_EQ(info->oaep_hash, cell.oaep_hash);
  EXPECT_EQ(info->key_wrap, cell.key_wrap);
  EXPECT_TRUE(recipient_for(der, sender.cert.get()).has_value()) << "the sender's own copy";

  const PeerRun decrypted = peer_decrypts(peer, cell.key, ours.message, der);
  if (decrypted.ok) {
    EXPECT_EQ(decrypted.output, text_entity());
    return;
  }
  const std::vector<OpenSslRecipient> recipients = {
      {recipient.files.cert_pem, cell.openssl_keyopts}};
  const PeerRun control_smime =
      world().openssl().encrypt(text_entity(), recipients, cell.openssl_cipher);
  const PeerRun control_der =
      world().openssl().encrypt_der(text_entity(), recipients, cell.openssl_cipher);
  ASSERT_TRUE(control_smime.ok && control_der.ok) << control_der.printed;
  const std::string control_message =
      outer_headers({sender.files.email, {recipient.files.email}}) + to_crlf(control_smime.output);
  const PeerRun control = peer_decrypts(peer, cell.key, control_message, control_der.output);
  INTEROP_PEER_FAILED(peer_version(peer), decrypted, control);
}

INSTANTIATE_TEST_SUITE_P(Encryption, OursEncryptedDecryptsIn,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::Values(PeerKind::openssl, PeerKind::gpgsm,
                                                              PeerKind::nss)),
                         CaseAndPeerName());

}  // namespace
}  // namespace smime::test::interop
