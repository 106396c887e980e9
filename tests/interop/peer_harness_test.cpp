// The harness proves itself before it judges us: the three peers against each other, the MIME
// helpers on openssl's own S/MIME output, and the wrappers' verdicts on tampered content and on
// a signer nobody trusts. If these fail, a failing interop cell says nothing about our engine.
#include "interop/cms_inspect.hpp"
#include "interop/interop_fixture.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::test::interop {
namespace {

class PeerHarness : public InteropTest {};

TEST_F(PeerHarness, OpensslSignaturesVerifyInGpgsmAndNss) {
  ASSERT_TRUE(world().gpgsm_identity(KeyKind::rsa).ok)
      << world().gpgsm_identity(KeyKind::rsa).printed;
  for (KeyKind kind : {KeyKind::rsa, KeyKind::p256}) {
    SCOPED_TRACE(std::string(to_string(kind)));
    const PeerIdentity& signer = world().peer(kind).files;
    for (bool opaque : {false, true}) {
      PeerRun signed_der =
          world().openssl().sign_der(text_entity(), signer, world().ca_pem(), {.opaque = opaque});
      ASSERT_TRUE(signed_der.ok) << signed_der.printed;
      PeerRun gpgsm = opaque ? world().gpgsm().verify_opaque(signed_der.output)
                             : world().gpgsm().verify_detached(text_entity(), signed_der.output);
      EXPECT_TRUE(gpgsm.ok) << gpgsm.command << "\n" << gpgsm.printed;
      PeerRun nss = opaque ? world().nss().verify_opaque(signed_der.output)
                           : world().nss().verify_detached(text_entity(), signed_der.output);
      EXPECT_TRUE(nss.ok) << nss.command << "\n" << nss.printed;
      if (opaque) {
        EXPECT_EQ(gpgsm.output, text_entity());
        EXPECT_EQ(nss.output, text_entity());
      }
    }
  }
}

TEST_F(PeerHarness, Rfc1847SplitOfOpensslsMultipartSignedIsWhatWasSigned) {
  const PeerIdentity& signer = world().peer(KeyKind::p256).files;
  PeerRun smime = world().openssl().sign(text_entity(), signer, world().ca_pem(), {});
  ASSERT_TRUE(smime.ok) << smime.printed;
  // As a relay delivers it: complete message, CRLF everywhere.
  const std::string message = outer_headers({signer.email, {"rsa@org.example"}}) +
                              to_crlf(without_header(smime.output, "MIME-Version"));
  SignedParts parts = split_multipart_signed(message);
  EXPECT_EQ(parts.signed_content, text_entity());
  EXPECT_EQ(inspect_cms(parts.signature_der).signers.size(), 1u);
  EXPECT_TRUE(world().nss().verify_detached(parts.signed_content, parts.signature_der).ok);
  PeerRun again = world().openssl().verify_smime(message, world().ca_pem());
  EXPECT_TRUE(again.ok) << again.printed;
  EXPECT_EQ(again.output, text_entity());
}

TEST_F(PeerHarness, GpgsmAndNssSignaturesVerifyInOpensslThroughOurMessageBuilders) {
  ASSERT_TRUE(world().gpgsm_identity(KeyKind::rsa).ok)
      << world().gpgsm_identity(KeyKind::rsa).printed;
  ASSERT_TRUE(world().nss_identity(KeyKind::p256).ok)
      << world().nss_identity(KeyKind::p256).printed;
  const Identity& rsa = world().peer(KeyKind::rsa);
  const Identity& p256 = world().peer(KeyKind::p256);

  PeerRun gpgsm = world().gpgsm().sign(text_entity(), rsa.files, false);
  ASSERT_TRUE(gpgsm.ok) << gpgsm.printed;
  const std::string detached = multipart_signed_message({rsa.files.email, {"rsa@org.example"}},
                                                        text_entity(), gpgsm.output, "sha-256");
  PeerRun verified = world().openssl().verify_smime(detached, world().ca_pem());
  EXPECT_TRUE(verified.ok) << verified.printed;
  EXPECT_EQ(verified.output, text_entity());

  PeerRun nss = world().nss().sign(text_entity(), p256.files, true, "SHA256");
  ASSERT_TRUE(nss.ok) << nss.printed;
  const std::string opaque =
      pkcs7_mime_message({p256.files.email, {"rsa@org.example"}}, "signed-data", nss.output);
  verified = world().openssl().verify_smime(opaque, world().ca_pem());
  EXPECT_TRUE(verified.ok) << verified.printed;
  EXPECT_EQ(verified.output, text_entity());
  EXPECT_EQ(pkcs7_mime_der(opaque), nss.output);
}

TEST_F(PeerHarness, EncryptionRoundTripsBetweenPeers) {
  ASSERT_TRUE(world().gpgsm_identity(KeyKind::rsa).ok)
      << world().gpgsm_identity(KeyKind::rsa).printed;
  ASSERT_TRUE(world().nss_identity(KeyKind::rsa).ok) << world().nss_identity(KeyKind::rsa).printed;
  const Identity& rsa = world().peer(KeyKind::rsa);

  PeerRun gpgsm = world().gpgsm().encrypt(text_entity(), {rsa.files.email}, "AES256");
  ASSERT_TRUE(gpgsm.ok) << gpgsm.printed;
  PeerRun decrypted = world().openssl().decrypt_der(gpgsm.output, rsa.files);
  EXPECT_TRUE(decrypted.ok) << decrypted.printed;
  EXPECT_EQ(decrypted.output, text_entity());

  PeerRun nss = world().nss().encrypt(text_entity(), {rsa.files.email});
  ASSERT_TRUE(nss.ok) << nss.printed;
  decrypted = world().openssl().decrypt_der(nss.output, rsa.files);
  EXPECT_TRUE(decrypted.ok) << decrypted.printed;
  EXPECT_EQ(decrypted.output, text_entity());

  PeerRun smime = world().openssl().encrypt(text_entity(), {{rsa.files.cert_pem, {}}}, "-aes256");
  ASSERT_TRUE(smime.ok) << smime.printed;
  const std::string message =
      outer_headers({"rsa@org.example", {rsa.files.email}}) + to_crlf(smime.output);
  const std::string der = pkcs7_mime_der(message);
  EXPECT_EQ(inspect_cms(der).content_cipher, "aes-256-cbc");
  decrypted = world().gpgsm().decrypt(der, rsa.files);
  EXPECT_TRUE(decrypted.ok) << decrypted.printed;
  EXPECT_EQ(decrypted.output, text_entity());
  decrypted = world().nss().decrypt(der);
  EXPECT_TRUE(decrypted.ok) << decrypted.printed;
  EXPECT_EQ(decrypted.output, text_entity());
  decrypted = world().openssl().decrypt_smime(message, rsa.files);
  EXPECT_TRUE(decrypted.ok) << decrypted.printed;
  EXPECT_EQ(decrypted.output, text_entity());
}

TEST_F(PeerHarness, WrappersRejectTamperedContentAndUntrustedSigners) {
  const PeerIdentity& signer = world().peer(KeyKind::rsa).files;
  PeerRun sig = world().openssl().sign_der(text_entity(), signer, world().ca_pem(), {});
  ASSERT_TRUE(sig.ok);
  std::string tampered = text_entity();
  tampered.back() = '!';
  EXPECT_FALSE(world().gpgsm().verify_detached(tampered, sig.output).ok);
  EXPECT_FALSE(world().nss().verify_detached(tampered, sig.output).ok);
  const std::string tampered_message = multipart_signed_message({signer.email, {"rsa@org.example"}},
                                                                tampered, sig.output, "sha-256");
  EXPECT_FALSE(world().openssl().verify_smime(tampered_message, world().ca_pem()).ok);

  // A self-signed signer outside the Interop Root: cryptographically fine, trusted by nobody.
  IssuedCertificate stranger = issue_certificate(CertificateSpec::smime("stranger@else.example"));
  PeerIdentity files;
  files.cert_pem = scratch_.file("stranger.pem");
  files.key_pem = scratch_.file("stranger.key");
  write_file(files.cert_pem, pem(stranger.cert.get()));
  write_file(files.key_pem, pem_pkcs8(stranger.key.get()));
  PeerRun untrusted = world().openssl().sign_der(text_entity(), files, "", {});
  ASSERT_TRUE(untrusted.ok) << untrusted.printed;
  PeerRun gpgsm = world().gpgsm().verify_detached(text_entity(), untrusted.output);
  EXPECT_FALSE(gpgsm.ok) << gpgsm.printed;
  PeerRun nss = world().nss().verify_detached(text_entity(), untrusted.output);
  EXPECT_FALSE(nss.ok) << nss.printed;
  const std::string message = multipart_signed_message({"stranger@else.example", {"x@y.example"}},
                                                       text_entity(), untrusted.output, "sha-256");
  EXPECT_FALSE(world().openssl().verify_smime(message, world().ca_pem()).ok);
}

}  // namespace
}  // namespace smime::test::interop
