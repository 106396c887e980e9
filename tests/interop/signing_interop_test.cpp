// Our signatures, made with keys in the SoftHSM token, verified by each peer. Every cell first
// checks that the message really carries the algorithm the cell names, then asks the peer.
// A peer that fails is given openssl's signature with the same algorithms as a control (see
// INTEROP_PEER_FAILED): only a peer that handles the control but not ours fails the test.
#include <algorithm>

#include "interop/cms_inspect.hpp"
#include "interop/interop_fixture.hpp"

namespace smime::test::interop {
namespace {

struct SigningCase {
  const char* name;
  KeyKind key;
  bool pss;
  bool opaque;
  const char* digest;     // OpenSSL short name in the SignerInfo
  const char* micalg;     // multipart/signed parameter
  const char* signature;  // SignerInfo signatureAlgorithm as cms_inspect names it
};

const SigningCase kCases[] = {
    {"RsaPkcs1Detached", KeyKind::rsa, false, false, "SHA256", "sha-256", "rsaEncryption"},
    {"RsaPkcs1Opaque", KeyKind::rsa, false, true, "SHA256", "sha-256", "rsaEncryption"},
    {"RsaPssDetached", KeyKind::rsa, true, false, "SHA256", "sha-256", "rsassaPss"},
    {"RsaPssOpaque", KeyKind::rsa, true, true, "SHA256", "sha-256", "rsassaPss"},
    {"EcdsaP256Detached", KeyKind::p256, false, false, "SHA256", "sha-256", "ecdsa-with-SHA256"},
    {"EcdsaP256Opaque", KeyKind::p256, false, true, "SHA256", "sha-256", "ecdsa-with-SHA256"},
    {"EcdsaP384Detached", KeyKind::p384, false, false, "SHA384", "sha-384", "ecdsa-with-SHA384"},
    {"EcdsaP384Opaque", KeyKind::p384, false, true, "SHA384", "sha-384", "ecdsa-with-SHA384"},
};

void PrintTo(const SigningCase& c, std::ostream* os) {
  *os << c.name;
}

using Cell = std::tuple<SigningCase, PeerKind>;

class OursSignedVerifiesIn : public InteropTest, public ::testing::WithParamInterface<Cell> {
 protected:
  // The peer's verdict on a signature: detached (content + DER) or opaque (DER only).
  PeerRun peer_verifies(PeerKind peer, bool opaque, const std::string& message,
                        const std::string& content, const std::string& der) {
    switch (peer) {
      case PeerKind::openssl:
        return world().openssl().verify_smime(message, world().ca_pem());
      case PeerKind::gpgsm:
        return opaque ? world().gpgsm().verify_opaque(der)
                      : world().gpgsm().verify_detached(content, der);
      case PeerKind::nss:
        return opaque ? world().nss().verify_opaque(der)
                      : world().nss().verify_detached(content, der);
    }
    return {};
  }
};

TEST_P(OursSignedVerifiesIn, Peer) {
  const auto& [cell, peer] = GetParam();
  const Identity& org = world().org(cell.key);
  std::vector<std::string> options = {"--sign", "yes", "--encrypt", "no"};
  if (cell.opaque) options.push_back("--opaque");
  if (cell.pss) options.insert(options.end(), {"--signature", "pss"});
  const OursRun ours = ours_outgoing(
      message_with_entity({org.files.email, {"someone@peer.example"}}, text_entity()), options);
  ASSERT_EQ(ours.process.exit_code, 0) << ours.command << "\n" << ours.process.err;

  // What we sent must be what the cell is about.
  std::string content;
  std::string der;
  if (cell.opaque) {
    der = pkcs7_mime_der(ours.message);
  } else {
    const SignedParts parts = split_multipart_signed(ours.message);
    content = parts.signed_content;
    der = parts.signature_der;
    const auto type = header_value(split_entity(ours.message).headers, "Content-Type");
    ASSERT_TRUE(type.has_value());
    EXPECT_EQ(header_parameter(*type, "micalg"), cell.micalg);
    EXPECT_EQ(header_parameter(*type, "protocol"), "application/pkcs7-signature");
    EXPECT_EQ(content, text_entity()) << "a 7-bit CRLF entity is signed as it is";
  }
  const CmsSummary summary = inspect_cms(der);
  EXPECT_EQ(summary.content_type, "signed-data");
  EXPECT_EQ(summary.has_content, cell.opaque);
  ASSERT_EQ(summary.signers.size(), 1u);
  const SignerSummary& signer = summary.signers.front();
  EXPECT_EQ(signer.digest, cell.digest);
  EXPECT_EQ(signer.signature, cell.signature);
  if (cell.pss) {
    EXPECT_EQ(signer.pss_hash, "SHA256");
    EXPECT_EQ(signer.pss_salt_length, 32);
  }
  for (const char* attribute : {"contentType", "messageDigest", "signingTime", "SMIME-CAPS"}) {
    EXPECT_NE(
        std::find(signer.signed_attributes.begin(), signer.signed_attributes.end(), attribute),
        signer.signed_attributes.end())
        << "signed attribute " << attribute;
  }
  EXPECT_EQ(summary.certificate_count, 2) << "the signer and the Interop Root from the store";

  const PeerRun verdict = peer_verifies(peer, cell.opaque, ours.message, content, der);
  if (verdict.ok) {
    // openssl hands back the signed content, gpgsm and cmsutil only for opaque signatures.
    if (peer == PeerKind::openssl || cell.opaque) {
      EXPECT_NE(verdict.output.find(text_body()), std::string::npos) << verdict.output;
    }
    return;
  }
  // The control: openssl signs the same content with the same algorithms (the peer-side
  // identity of the same key type, a software key).
  const PeerIdentity& control_signer = world().peer(cell.key).files;
  OpenSslSignOptions control_options{.opaque = cell.opaque,
                                     .pss = cell.pss,
                                     .digest = cell.key == KeyKind::p384 ? "sha384" : "sha256"};
  const PeerRun control_smime =
      world().openssl().sign(text_entity(), control_signer, world().ca_pem(), control_options);
  const PeerRun control_der =
      world().openssl().sign_der(text_entity(), control_signer, world().ca_pem(), control_options);
  ASSERT_TRUE(control_smime.ok && control_der.ok) << control_der.printed;
  const std::string control_message =
      outer_headers({control_signer.email, {"someone@org.example"}}) +
      to_crlf(without_header(control_smime.output, "MIME-Version"));
  const PeerRun control =
      peer_verifies(peer, cell.opaque, control_message, text_entity(), control_der.output);
  INTEROP_PEER_FAILED(peer_version(peer), verdict, control);
}

INSTANTIATE_TEST_SUITE_P(Signing, OursSignedVerifiesIn,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::Values(PeerKind::openssl, PeerKind::gpgsm,
                                                              PeerKind::nss)),
                         CaseAndPeerName());

}  // namespace
}  // namespace smime::test::interop
