// Messages each peer encrypted (and signed) to our organisation's certificates, decrypted by us
// with the keys in the SoftHSM token: RSA v1.5 and RSA-OAEP through the provider or the
// software completion around raw RSA, ECDH through raw derivation + X9.63 KDF + AES unwrap.
#include "interop/cms_inspect.hpp"
#include "interop/interop_fixture.hpp"

namespace smime::test::interop {
namespace {

struct IncomingEncryptedCase {
  const char* name;
  PeerKind peer;
  KeyKind key;         // the org certificate the peer encrypts to
  const char* cipher;  // openssl option ("-aes256") or gpgsm --cipher-algo; unused for NSS
  std::vector<std::string> keyopts;  // openssl only
  bool signed_first;                 // sign (opaque, with the peer's RSA identity), then encrypt
  const char* expected_cipher;       // what the message must use ("" = whatever the peer chose)
};

const std::vector<std::string> kOaepSha1 = {"rsa_padding_mode:oaep"};
const std::vector<std::string> kOaepSha256 = {"rsa_padding_mode:oaep", "rsa_oaep_md:sha256",
                                              "rsa_mgf1_md:sha256"};

const IncomingEncryptedCase kCases[] = {
    {"OpensslRsaPkcs1Aes256Cbc",
     PeerKind::openssl,
     KeyKind::rsa,
     "-aes256",
     {},
     false,
     "aes-256-cbc"},
    {"OpensslRsaPkcs1Aes128Gcm",
     PeerKind::openssl,
     KeyKind::rsa,
     "-aes-128-gcm",
     {},
     false,
     "aes-128-gcm"},
    {"OpensslRsaPkcs1Aes256Gcm",
     PeerKind::openssl,
     KeyKind::rsa,
     "-aes-256-gcm",
     {},
     false,
     "aes-256-gcm"},
    {"OpensslRsaOaepSha1Aes256Cbc", PeerKind::openssl, KeyKind::rsa, "-aes256", kOaepSha1, false,
     "aes-256-cbc"},
    {"OpensslRsaOaepSha1Aes128Gcm", PeerKind::openssl, KeyKind::rsa, "-aes-128-gcm", kOaepSha1,
     false, "aes-128-gcm"},
    {"OpensslRsaOaepSha256Aes256Cbc", PeerKind::openssl, KeyKind::rsa, "-aes256", kOaepSha256,
     false, "aes-256-cbc"},
    {"OpensslRsaOaepSha256Aes256Gcm", PeerKind::openssl, KeyKind::rsa, "-aes-256-gcm", kOaepSha256,
     false, "aes-256-gcm"},
    // openssl's default KDF for EC recipients is the SHA-1 X9.63 KDF; S/MIME 4.0 asks for SHA-256+.
    {"OpensslEcdhP256Sha1KdfAes256Cbc",
     PeerKind::openssl,
     KeyKind::p256,
     "-aes256",
     {},
     false,
     "aes-256-cbc"},
    {"OpensslEcdhP256Sha256KdfAes256Cbc",
     PeerKind::openssl,
     KeyKind::p256,
     "-aes256",
     {"ecdh_kdf_md:sha256"},
     false,
     "aes-256-cbc"},
    {"OpensslEcdhP256Sha256KdfAes128Gcm",
     PeerKind::openssl,
     KeyKind::p256,
     "-aes-128-gcm",
     {"ecdh_kdf_md:sha256"},
     false,
     "aes-128-gcm"},
    {"OpensslEcdhP256Sha256KdfAes256Gcm",
     PeerKind::openssl,
     KeyKind::p256,
     "-aes-256-gcm",
     {"ecdh_kdf_md:sha256"},
     false,
     "aes-256-gcm"},
    {"OpensslEcdhP384Sha384KdfAes256Cbc",
     PeerKind::openssl,
     KeyKind::p384,
     "-aes256",
     {"ecdh_kdf_md:sha384"},
     false,
     "aes-256-cbc"},
    {"OpensslEcdhP384Sha384KdfAes256Gcm",
     PeerKind::openssl,
     KeyKind::p384,
     "-aes-256-gcm",
     {"ecdh_kdf_md:sha384"},
     false,
     "aes-256-gcm"},
    {"OpensslSignedThenEncryptedRsa",
     PeerKind::openssl,
     KeyKind::rsa,
     "-aes256",
     {},
     true,
     "aes-256-cbc"},
    {"OpensslSignedThenEncryptedEcdhP256",
     PeerKind::openssl,
     KeyKind::p256,
     "-aes-256-gcm",
     {"ecdh_kdf_md:sha256"},
     true,
     "aes-256-gcm"},
    {"GpgsmRsaAes128Cbc", PeerKind::gpgsm, KeyKind::rsa, "AES128", {}, false, "aes-128-cbc"},
    {"GpgsmRsaAes256Cbc", PeerKind::gpgsm, KeyKind::rsa, "AES256", {}, false, "aes-256-cbc"},
    {"GpgsmRsa3DesCbc", PeerKind::gpgsm, KeyKind::rsa, "3DES", {}, false, "des-ede3-cbc"},
    {"GpgsmEcdhP256Aes256Cbc", PeerKind::gpgsm, KeyKind::p256, "AES256", {}, false, ""},
    {"GpgsmSignedThenEncryptedRsa",
     PeerKind::gpgsm,
     KeyKind::rsa,
     "AES256",
     {},
     true,
     "aes-256-cbc"},
    {"NssRsa", PeerKind::nss, KeyKind::rsa, "", {}, false, ""},
    {"NssEcdhP256", PeerKind::nss, KeyKind::p256, "", {}, false, ""},
    {"NssSignedThenEncryptedRsa", PeerKind::nss, KeyKind::rsa, "", {}, true, ""},
};

void PrintTo(const IncomingEncryptedCase& c, std::ostream* os) {
  *os << c.name;
}

class PeerEncryptedDecryptsInOurs : public InteropTest,
                                    public ::testing::WithParamInterface<IncomingEncryptedCase> {
 protected:
  // The peer's encryption of `entity` to `org`, as DER (gpgsm, NSS) or S/MIME text (openssl).
  PeerRun peer_encrypts(const IncomingEncryptedCase& cell, const std::string& entity,
                        const Identity& org) {
    switch (cell.peer) {
      case PeerKind::openssl:
        return world().openssl().encrypt(entity, {{org.files.cert_pem, cell.keyopts}}, cell.cipher);
      case PeerKind::gpgsm:
        world().gpgsm_knows_org(cell.key);
        return world().gpgsm().encrypt(entity, {org.files.email}, cell.cipher);
      case PeerKind::nss:
        world().nss_knows_org(cell.key);
        return world().nss().encrypt(entity, {org.files.email});
    }
    return {};
  }

  // An opaque signed-data entity made by the peer with its RSA identity.
  PeerRun peer_signs(PeerKind peer, const std::string& entity, std::string& signed_entity) {
    const PeerIdentity& signer = world().peer(KeyKind::rsa).files;
    PeerRun run;
    switch (peer) {
      case PeerKind::openssl:
        run = world().openssl().sign(entity, signer, world().ca_pem(), {.opaque = true});
        if (run.ok) signed_entity = to_crlf(without_header(run.output, "MIME-Version"));
        return run;
      case PeerKind::gpgsm:
        if (!world().gpgsm_identity(KeyKind::rsa).ok) return world().gpgsm_identity(KeyKind::rsa);
        run = world().gpgsm().sign(entity, signer, true);
        break;
      case PeerKind::nss:
        if (!world().nss_identity(KeyKind::rsa).ok) return world().nss_identity(KeyKind::rsa);
        run = world().nss().sign(entity, signer, true, "SHA256");
        break;
    }
    if (run.ok) signed_entity = pkcs7_mime_entity("signed-data", run.output);
    return run;
  }
};

TEST_P(PeerEncryptedDecryptsInOurs, Cell) {
  if (GetParam().key != KeyKind::rsa) SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_ECDH1_DERIVE);
  const IncomingEncryptedCase& cell = GetParam();
  const Identity& org = world().org(cell.key);
  const Identity& sender = world().peer(KeyKind::rsa);
  const Envelope envelope{sender.files.email, {org.files.email}};

  std::string inner = text_entity();
  if (cell.signed_first) {
    const PeerRun made = peer_signs(cell.peer, text_entity(), inner);
    if (!made.ok) INTEROP_PEER_CANNOT(peer_version(cell.peer), peer_words(made));
  }
  const PeerRun made = peer_encrypts(cell, inner, org);
  if (!made.ok) INTEROP_PEER_CANNOT(peer_version(cell.peer), peer_words(made));
  const std::string message =
      cell.peer == PeerKind::openssl
          ? outer_headers(envelope) + to_crlf(without_header(made.output, "MIME-Version"))
          : pkcs7_mime_message(envelope, "enveloped-data", made.output);
  keep("peer-encrypted.eml", message);
  const std::string der = pkcs7_mime_der(message);
  const CmsSummary summary = inspect_cms(der);
  if (*cell.expected_cipher != '\0') {
    EXPECT_EQ(summary.content_cipher, cell.expected_cipher);
  }
  ASSERT_TRUE(recipient_for(der, org.cert.get()).has_value());

  const OursRun ours = ours_incoming(message);
  ASSERT_EQ(ours.process.exit_code, 0)
      << ours.command << "\n"
      << ours.process.out << ours.process.err << "\n"
      << peer_version(cell.peer) << " used " << summary.content_type << " with "
      << summary.content_cipher;
  ASSERT_TRUE(ours.json.is_object()) << ours.process.out;
  EXPECT_TRUE(ours.json["encrypted"].get<bool>());
  EXPECT_TRUE(ours.json["decrypted"].get<bool>());
  EXPECT_EQ(ours.json["decryption_key"], org.fingerprint);
  EXPECT_TRUE(ours.json["errors"].empty()) << ours.json.dump(2);
  EXPECT_NE(ours.message.find(text_body()), std::string::npos) << ours.message;
  if (cell.signed_first) {
    EXPECT_TRUE(ours.json["signed"].get<bool>());
    EXPECT_EQ(ours.json["signature"]["status"], "valid") << ours.json.dump(2);
    EXPECT_EQ(ours.json["signature"]["signer"]["fingerprint"], sender.fingerprint);
  } else {
    EXPECT_FALSE(ours.json["signed"].get<bool>());
  }
}

INSTANTIATE_TEST_SUITE_P(IncomingEncrypted, PeerEncryptedDecryptsInOurs,
                         ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<IncomingEncryptedCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace smime::test::interop
