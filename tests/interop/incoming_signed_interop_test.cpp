// Messages signed by each peer with its own (software) keys, verified by us: the chain goes to
// the Interop Root in our store, the signer's address matches From, and the content comes back.
#include "interop/cms_inspect.hpp"
#include "interop/interop_fixture.hpp"

namespace smime::test::interop {
namespace {

struct IncomingSignedCase {
  const char* name;
  PeerKind peer;
  KeyKind key;
  bool opaque;
  bool pss;  // openssl only: neither gpgsm 2.2 nor cmsutil can be asked for RSASSA-PSS
};

const IncomingSignedCase kCases[] = {
    {"OpensslRsaPkcs1Detached", PeerKind::openssl, KeyKind::rsa, false, false},
    {"OpensslRsaPkcs1Opaque", PeerKind::openssl, KeyKind::rsa, true, false},
    {"OpensslRsaPssDetached", PeerKind::openssl, KeyKind::rsa, false, true},
    {"OpensslRsaPssOpaque", PeerKind::openssl, KeyKind::rsa, true, true},
    {"OpensslEcdsaP256Detached", PeerKind::openssl, KeyKind::p256, false, false},
    {"OpensslEcdsaP256Opaque", PeerKind::openssl, KeyKind::p256, true, false},
    {"OpensslEcdsaP384Detached", PeerKind::openssl, KeyKind::p384, false, false},
    {"GpgsmRsaDetached", PeerKind::gpgsm, KeyKind::rsa, false, false},
    {"GpgsmRsaOpaque", PeerKind::gpgsm, KeyKind::rsa, true, false},
    {"GpgsmEcdsaP256Detached", PeerKind::gpgsm, KeyKind::p256, false, false},
    {"GpgsmEcdsaP384Detached", PeerKind::gpgsm, KeyKind::p384, false, false},
    {"NssRsaDetached", PeerKind::nss, KeyKind::rsa, false, false},
    {"NssRsaOpaque", PeerKind::nss, KeyKind::rsa, true, false},
    {"NssEcdsaP256Detached", PeerKind::nss, KeyKind::p256, false, false},
    {"NssEcdsaP256Opaque", PeerKind::nss, KeyKind::p256, true, false},
    {"NssEcdsaP384Detached", PeerKind::nss, KeyKind::p384, false, false},
};

std::string micalg_of(const std::string& der) {
  const CmsSummary summary = inspect_cms(der);
  const std::string digest = summary.signers.empty() ? "" : summary.signers.front().digest;
  if (digest == "SHA384") return "sha-384";
  if (digest == "SHA512") return "sha-512";
  if (digest == "SHA1") return "sha-1";
  return "sha-256";
}

void PrintTo(const IncomingSignedCase& c, std::ostream* os) {
  *os << c.name;
}

class PeerSignedVerifiesInOurs : public InteropTest,
                                 public ::testing::WithParamInterface<IncomingSignedCase> {};

TEST_P(PeerSignedVerifiesInOurs, Cell) {
  const IncomingSignedCase& cell = GetParam();
  const Identity& signer = world().peer(cell.key);
  const Envelope envelope{signer.files.email, {world().org(KeyKind::rsa).files.email}};
  const std::string digest = cell.key == KeyKind::p384 ? "sha384" : "sha256";
  std::string message;
  PeerRun made;
  switch (cell.peer) {
    case PeerKind::openssl: {
      made = world().openssl().sign(text_entity(), signer.files, world().ca_pem(),
                                    {.opaque = cell.opaque, .pss = cell.pss, .digest = digest});
      ASSERT_TRUE(made.ok) << made.command << "\n" << made.printed;
      message = outer_headers(envelope) + to_crlf(without_header(made.output, "MIME-Version"));
      break;
    }
    case PeerKind::gpgsm: {
      const PeerRun& imported = world().gpgsm_identity(cell.key);
      if (!imported.ok) INTEROP_PEER_CANNOT(peer_version(cell.peer), peer_words(imported));
      made = world().gpgsm().sign(text_entity(), signer.files, cell.opaque);
      break;
    }
    case PeerKind::nss: {
      const PeerRun& imported = world().nss_identity(cell.key);
      if (!imported.ok) INTEROP_PEER_CANNOT(peer_version(cell.peer), peer_words(imported));
      made = world().nss().sign(text_entity(), signer.files, cell.opaque,
                                cell.key == KeyKind::p384 ? "SHA384" : "SHA256");
      break;
    }
  }
  if (!made.ok) INTEROP_PEER_CANNOT(peer_version(cell.peer), peer_words(made));
  if (cell.peer != PeerKind::openssl) {
    message = cell.opaque ? pkcs7_mime_message(envelope, "signed-data", made.output)
                          : multipart_signed_message(envelope, text_entity(), made.output,
                                                     micalg_of(made.output));
  }
  keep("peer-signed.eml", message);

  const OursRun ours = ours_incoming(message);
  ASSERT_EQ(ours.process.exit_code, 0) << ours.command << "\n"
                                       << ours.process.out << ours.process.err;
  ASSERT_TRUE(ours.json.is_object()) << ours.process.out;
  EXPECT_TRUE(ours.json["signed"].get<bool>());
  EXPECT_FALSE(ours.json["encrypted"].get<bool>());
  EXPECT_EQ(ours.json["signature"]["status"], "valid") << ours.json.dump(2);
  EXPECT_EQ(ours.json["signature"]["signer"]["fingerprint"], signer.fingerprint);
  EXPECT_TRUE(ours.json["errors"].empty()) << ours.json.dump(2);
  EXPECT_NE(ours.message.find(text_body()), std::string::npos) << ours.message;
  EXPECT_NE(ours.message.find("From: " + signer.files.email), std::string::npos)
      << "the outer headers stay";

  // The same detached message with one byte of the content changed is invalid, not valid.
  if (!cell.opaque) {
    std::string tampered = message;
    const auto at = tampered.find("Hello from");
    ASSERT_NE(at, std::string::npos);
    tampered[at] = 'J';
    const OursRun bad = ours_incoming(tampered);
    EXPECT_EQ(bad.json["signature"]["status"], "invalid") << bad.process.out << bad.process.err;
  }
}

INSTANTIATE_TEST_SUITE_P(IncomingSigned, PeerSignedVerifiesInOurs, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<IncomingSignedCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace smime::test::interop
