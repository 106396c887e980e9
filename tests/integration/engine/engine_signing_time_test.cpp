// The signer's certificate judged at the signing time it claims (issue 16 item 2,
// [verification] leaf_validity = "signing_time"): an expired leaf whose signingTime lies within
// its validity is valid with the warning expired_since_signing; a signingTime after its expiry,
// or none at all, stays expired; CAs are judged at verification time under either setting.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>

#include "engine_fixture.hpp"
#include "support/correspondent_mail.hpp"

namespace smime::test {
namespace {

using engine::SignatureStatus;

constexpr std::time_t kDay = 24 * 60 * 60;

// A correspondent's client: a detached signature by `signer` embedding `chain`, whose signed
// attribute signingTime is `signing_time` (nullopt: no signed attributes at all).
std::string signed_at(const IssuedCertificate& signer, const std::vector<const X509*>& chain,
                      const std::string& message, std::optional<std::time_t> signing_time) {
  return correspondent_signed(signer, message,
                              {.chain = chain,
                               .signed_attributes = signing_time.has_value(),
                               .signing_time = signing_time});
}

bool has_warning(const engine::SignatureLayer& layer, const std::string& warning) {
  return std::find(layer.warnings.begin(), layer.warnings.end(), warning) != layer.warnings.end();
}

class EngineSigningTimeTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    engine::Policy policy;
    policy.verification.leaf_at_signing_time = true;
    at_signing_time_ = std::make_unique<engine::Engine>(
        *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, policy);
  }

  std::string from_alice() {
    return message({.from = "alice@example.com", .to = {"support@example.org"}});
  }

  // alice@example.com, valid from not_before_days to not_after_days (relative to now).
  static IssuedCertificate alice(const IssuedCertificate& issuer, int not_before_days,
                                 int not_after_days) {
    CertificateSpec spec = CertificateSpec::smime("alice@example.com");
    spec.not_before_days = not_before_days;
    spec.not_after_days = not_after_days;
    spec.issued_by(issuer);
    return issue_certificate(spec);
  }

  static std::time_t days_ago(int days) { return std::time(nullptr) - days * kDay; }

  std::unique_ptr<engine::Engine> at_signing_time_;  // leaf_validity = "signing_time"
};

TEST_F(EngineSigningTimeTest, AnExpiredLeafSignedWhileValidIsValidWithAWarning) {
  // Valid from 400 days ago until 30 days ago; signed 100 days ago.
  auto signer = alice(ca_, -400, -30);
  const std::string wire = signed_at(signer, {}, from_alice(), days_ago(100));

  auto now = engine_->incoming(wire);  // leaf_validity = "now", the default
  EXPECT_EQ(now.signature, SignatureStatus::expired) << now.signature_reason;
  ASSERT_EQ(now.signatures.size(), 1u);
  EXPECT_EQ(now.signatures[0].checks.validity.status, "expired");
  EXPECT_FALSE(has_warning(now.signatures[0], "expired_since_signing"));

  auto then = at_signing_time_->incoming(wire);
  EXPECT_EQ(then.signature, SignatureStatus::valid) << then.signature_reason;
  EXPECT_TRUE(then.ok());
  ASSERT_EQ(then.signatures.size(), 1u);
  const auto& layer = then.signatures[0];
  EXPECT_EQ(layer.status, SignatureStatus::valid);
  EXPECT_EQ(layer.checks.validity.status, "valid") << layer.checks.validity.reason;
  EXPECT_EQ(layer.checks.chain.status, "valid") << layer.checks.chain.reason;
  EXPECT_TRUE(has_warning(layer, "expired_since_signing"));
  const std::string& reason = layer.checks.validity.reason;
  EXPECT_NE(reason.find("has expired since"), std::string::npos) << reason;
  EXPECT_NE(reason.find("signer's own claim"), std::string::npos) << reason;
}

TEST_F(EngineSigningTimeTest, ASigningTimeAfterTheLeafsExpiryIsExpiredUnderBothSettings) {
  // Expired 30 days ago, claims to have signed 10 days ago.
  auto signer = alice(ca_, -400, -30);
  const std::string wire = signed_at(signer, {}, from_alice(), days_ago(10));
  for (engine::Engine* engine : {engine_.get(), at_signing_time_.get()}) {
    auto in = engine->incoming(wire);
    EXPECT_EQ(in.signature, SignatureStatus::expired) << in.signature_reason;
    ASSERT_EQ(in.signatures.size(), 1u);
    EXPECT_EQ(in.signatures[0].checks.validity.status, "expired")
        << in.signatures[0].checks.validity.reason;
    EXPECT_EQ(in.signatures[0].checks.validity.certificate, "CN=alice@example.com");
    EXPECT_FALSE(has_warning(in.signatures[0], "expired_since_signing"));
  }
  // Under signing_time the reason says why the claimed time did not help.
  auto then = at_signing_time_->incoming(wire);
  ASSERT_EQ(then.signatures.size(), 1u);
  EXPECT_NE(then.signatures[0].checks.validity.reason.find("not valid at the signing time"),
            std::string::npos)
      << then.signatures[0].checks.validity.reason;
}

TEST_F(EngineSigningTimeTest, ASigningTimeBeforeTheLeafsValidityIsExpired) {
  // Valid from 400 to 30 days ago; claims a signing time 500 days ago, before it was issued.
  auto signer = alice(ca_, -400, -30);
  auto in = at_signing_time_->incoming(signed_at(signer, {}, from_alice(), days_ago(500)));
  EXPECT_EQ(in.signature, SignatureStatus::expired) << in.signature_reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].checks.validity.status, "expired");
}

TEST_F(EngineSigningTimeTest, WithoutASigningTimeTheLeafIsJudgedNow) {
  auto signer = alice(ca_, -400, -30);
  auto in = at_signing_time_->incoming(signed_at(signer, {}, from_alice(), std::nullopt));
  EXPECT_EQ(in.signature, SignatureStatus::expired) << in.signature_reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].checks.integrity.status, "valid");
  EXPECT_EQ(in.signatures[0].checks.validity.status, "expired");
  EXPECT_NE(in.signatures[0].checks.validity.reason.find("claims no signing time"),
            std::string::npos)
      << in.signatures[0].checks.validity.reason;
}

TEST_F(EngineSigningTimeTest, AnExpiredIntermediateBreaksTheChainUnderBothSettings) {
  // The CA was valid from 3000 to 365 days ago; the leaf from 1000 to 30 days ago; the
  // signature claims 500 days ago, when both were valid. CAs are judged now: the chain fails.
  CertificateSpec spec = CertificateSpec::authority("Expired Signing-Time CA");
  spec.not_before_days = -3000;
  spec.not_after_days = -365;
  spec.issued_by(ca_);
  auto expired_ca = issue_certificate(spec);
  auto signer = alice(expired_ca, -1000, -30);
  const std::string wire = signed_at(signer, {expired_ca.cert.get()}, from_alice(), days_ago(500));
  for (engine::Engine* engine : {engine_.get(), at_signing_time_.get()}) {
    auto in = engine->incoming(wire);
    EXPECT_EQ(in.signature, SignatureStatus::invalid) << in.signature_reason;
    EXPECT_NE(in.signature_reason.find("CN=Expired Signing-Time CA"), std::string::npos)
        << in.signature_reason;
    ASSERT_EQ(in.signatures.size(), 1u);
    EXPECT_EQ(in.signatures[0].checks.chain.status, "invalid");
    EXPECT_EQ(in.signatures[0].checks.chain.certificate, "CN=Expired Signing-Time CA");
  }
}

}  // namespace
}  // namespace smime::test
