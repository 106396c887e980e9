// Incoming signatures (SPEC §7): chain to a stored anchor only, sender must match From,
// expiry reported but not fatal, revocation by imported CRLs, tampering detected, and the
// identifiers of what is missing so that a resubmission after the import succeeds.
#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "smime/common/error.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

using engine::SignatureStatus;

class EngineVerificationTest : public EngineTest {
 protected:
  std::string from_alice() {
    return message({.from = "alice@example.com", .to = {"support@example.org"}});
  }
};

TEST_F(EngineVerificationTest, ValidSignatureOfAStoredCorrespondent) {
  auto alice = contact("alice@example.com");
  auto in = engine_->incoming(signed_by(alice, from_alice()));
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  ASSERT_TRUE(in.signer.has_value());
  EXPECT_EQ(in.signer->fingerprint, alice.fingerprint);
  EXPECT_TRUE(in.signer->stored);
  EXPECT_TRUE(in.ok());
}

TEST_F(EngineVerificationTest, TamperedContentIsInvalid) {
  auto alice = contact("alice@example.com");
  std::string wire = signed_by(alice, from_alice());
  const auto at = wire.find("resolved");
  ASSERT_NE(at, std::string::npos);
  wire.replace(at, 8, "REJECTED");
  auto in = engine_->incoming(wire);
  EXPECT_EQ(in.signature, SignatureStatus::invalid);
  EXPECT_FALSE(in.ok());
  // The message is still returned (unwrapped), with the reason.
  EXPECT_NE(in.message.find("REJECTED"), std::string::npos);
  EXPECT_FALSE(in.signature_reason.empty());
}

TEST_F(EngineVerificationTest, UnknownSignerNamesTheCertificateAndSucceedsAfterImport) {
  // Signed by someone whose certificate is neither stored nor embedded.
  CertificateSpec spec = CertificateSpec::smime("bob@example.net");
  spec.issued_by(ca_);
  Identity bob{issue_certificate(spec), "bob@example.net", ""};
  const std::string wire = signed_by(
      bob, message({.from = "bob@example.net", .to = {"support@example.org"}}), true, false);
  auto first = engine_->incoming(wire);
  EXPECT_EQ(first.signature, SignatureStatus::unknown_signer);
  ASSERT_EQ(first.missing.size(), 1u);
  EXPECT_EQ(first.missing[0].kind, "certificate");
  EXPECT_EQ(first.missing[0].issuer, "CN=Example Org Test CA");
  EXPECT_FALSE(first.missing[0].serial.empty());

  store_certificate(bob.issued.cert.get());
  auto retry = engine_->incoming(wire);
  EXPECT_EQ(retry.signature, SignatureStatus::valid) << retry.signature_reason;
  EXPECT_TRUE(retry.missing.empty());
}

TEST_F(EngineVerificationTest, UnknownIssuerIsNamedAndTrustedAfterImportingTheCa) {
  auto other_ca = issue_certificate(CertificateSpec::authority("Partner CA"));
  CertificateSpec spec = CertificateSpec::smime("carol@partner.example");
  spec.issued_by(other_ca);
  Identity carol{issue_certificate(spec), "carol@partner.example", ""};
  const std::string wire =
      signed_by(carol, message({.from = "carol@partner.example", .to = {"support@example.org"}}));
  auto first = engine_->incoming(wire);
  EXPECT_EQ(first.signature, SignatureStatus::unknown_signer);
  ASSERT_EQ(first.missing.size(), 1u);
  EXPECT_EQ(first.missing[0].subject, "CN=Partner CA");
  // No built-in roots: only what was imported counts.
  store_certificate(other_ca.cert.get());
  EXPECT_EQ(engine_->incoming(wire).signature, SignatureStatus::valid);
}

TEST_F(EngineVerificationTest, SignerOtherThanFromIsASenderMismatch) {
  auto alice = contact("alice@example.com");
  const std::string wire =
      signed_by(alice, message({.from = "mallory@example.com", .to = {"support@example.org"}}));
  auto in = engine_->incoming(wire);
  EXPECT_EQ(in.signature, SignatureStatus::sender_mismatch);
  EXPECT_EQ(in.signature_reason, "This message was not signed by its sender");
  EXPECT_FALSE(in.ok());
}

TEST_F(EngineVerificationTest, CertificateWithoutEmailCannotBeTheSender) {
  // Chains to our CA and is embedded, but names no address.
  CertificateSpec spec = CertificateSpec::smime("alice@example.com");
  spec.emails.clear();
  spec.issued_by(ca_);
  Identity anonymous{issue_certificate(spec), "", ""};
  auto in = engine_->incoming(signed_by(anonymous, from_alice()));
  EXPECT_EQ(in.signature, SignatureStatus::sender_mismatch);
  ASSERT_TRUE(in.signer.has_value());
  EXPECT_TRUE(in.signer->emails.empty());
}

TEST_F(EngineVerificationTest, ExpiredSignerIsReportedButNotFatal) {
  CertificateSpec spec = CertificateSpec::smime("alice@example.com");
  spec.not_before_days = -60;
  spec.not_after_days = -1;
  auto alice = contact_from(spec, "alice@example.com");
  auto in = engine_->incoming(signed_by(alice, from_alice()));
  EXPECT_EQ(in.signature, SignatureStatus::expired) << in.signature_reason;
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(body_of(in.message), MessageSpec{}.body);
}

TEST_F(EngineVerificationTest, RevokedSignerPerImportedCrl) {
  auto alice = contact("alice@example.com");
  const std::string wire = signed_by(alice, from_alice());
  EXPECT_EQ(engine_->incoming(wire).signature, SignatureStatus::valid);
  certificates_->import_crl(issue_crl(ca_, {{alice.issued.cert.get(), 1}}, 30, true));
  auto in = engine_->incoming(wire);
  EXPECT_EQ(in.signature, SignatureStatus::revoked);
  EXPECT_NE(in.signature_reason.find("revoked"), std::string::npos);
}

TEST_F(EngineVerificationTest, OpaqueSignedDataIsUnwrapped) {
  auto alice = contact("alice@example.com", "ec-p256");
  auto in = engine_->incoming(signed_by(alice, from_alice(), /*detached=*/false));
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  ASSERT_EQ(in.layers.size(), 1u);
  EXPECT_EQ(in.layers[0], "signed-data");
  EXPECT_EQ(body_of(in.message), MessageSpec{}.body);
}

TEST_F(EngineVerificationTest, SignatureSurvivesConversionToLfLineEndings) {
  auto alice = contact("alice@example.com");
  std::string wire = signed_by(alice, from_alice());
  std::string lf;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    if (wire[i] == '\r' && i + 1 < wire.size() && wire[i + 1] == '\n') continue;
    lf += wire[i];
  }
  EXPECT_EQ(engine_->incoming(lf).signature, SignatureStatus::valid);
}

}  // namespace
}  // namespace smime::test
