// The verification policy per group (issue 16 item 3: "a policy per appliance or group"): an
// incoming message is judged by the policy of the groups it is addressed to (To, Cc), their own
// revocation / reject_sha1 settings over the appliance's [verification] ones, the strictest of
// several; a group change applies to the next message (the engine's group cache follows the
// store revision).
#include <gtest/gtest.h>

#include <algorithm>

#include "engine_fixture.hpp"

namespace smime::test {
namespace {

using engine::SignatureStatus;

class EngineGroupPolicyTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    // alice's chain has no CRL anywhere: her revocation status is unknown.
    CertificateSpec spec = CertificateSpec::smime("alice@example.com");
    spec.issued_by(ca_);
    alice_ = issue_certificate(spec);
  }

  void set_group(const std::string& name, const std::string& email,
                 std::optional<bool> revocation_hard, std::optional<bool> reject_sha1 = {}) {
    store::GroupRecord group{name, email, store::DefaultBehaviour::sign_encrypt, 0, 0};
    group.revocation_hard = revocation_hard;
    group.reject_sha1 = reject_sha1;
    store_->upsert_group(group);
  }

  std::string from_alice(std::vector<std::string> to, std::vector<std::string> cc = {},
                         const EVP_MD* md = EVP_sha256()) {
    return signed_carrying(
        alice_, {}, {}, message({.from = "alice@example.com", .to = std::move(to), .cc = cc}), md);
  }

  static bool warned(const engine::IncomingResult& in, const std::string& warning) {
    const auto& w = in.signatures.at(0).warnings;
    return std::find(w.begin(), w.end(), warning) != w.end();
  }

  IssuedCertificate alice_;
};

TEST_F(EngineGroupPolicyTest, TheSameMessageIsValidUnderASoftGroupAndInvalidUnderAHardOne) {
  set_group("support", "support@example.org", false);
  const std::string wire = from_alice({"support@example.org"});
  auto soft = engine_->incoming(wire);
  EXPECT_EQ(soft.signature, SignatureStatus::valid) << soft.signature_reason;
  EXPECT_EQ(soft.signatures.at(0).checks.revocation.status, "unknown");
  EXPECT_TRUE(warned(soft, "revocation_unknown"));

  // The group is changed: the next message is judged by its new policy.
  set_group("support", "support@example.org", true);
  auto hard = engine_->incoming(wire);
  EXPECT_EQ(hard.signature, SignatureStatus::invalid) << hard.signature_reason;
  EXPECT_EQ(hard.signatures.at(0).checks.revocation.status, "unknown");
  EXPECT_NE(hard.signature_reason.find("group support: revocation = \"hard\""), std::string::npos)
      << hard.signature_reason;

  // Back to the appliance's policy (soft by default).
  set_group("support", "support@example.org", std::nullopt);
  EXPECT_EQ(engine_->incoming(wire).signature, SignatureStatus::valid);
}

TEST_F(EngineGroupPolicyTest, AGroupsSoftPolicyOverridesAHardAppliance) {
  engine::Policy hard;
  hard.verification.revocation_hard = true;
  engine::Engine strict(
      *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, hard);
  set_group("support", "support@example.org", false);
  set_group("sales", "sales@example.org", std::nullopt);
  auto soft = strict.incoming(from_alice({"support@example.org"}));
  EXPECT_EQ(soft.signature, SignatureStatus::valid) << soft.signature_reason;
  EXPECT_TRUE(warned(soft, "revocation_unknown"));

  // A group without a setting of its own, or no group: the appliance's hard policy.
  auto inherited = strict.incoming(from_alice({"sales@example.org"}));
  EXPECT_EQ(inherited.signature, SignatureStatus::invalid) << inherited.signature_reason;
  EXPECT_NE(inherited.signature_reason.find("[verification] revocation = \"hard\""),
            std::string::npos)
      << inherited.signature_reason;
  auto ungrouped = strict.incoming(from_alice({"someone@example.org"}));
  EXPECT_EQ(ungrouped.signature, SignatureStatus::invalid) << ungrouped.signature_reason;
}

TEST_F(EngineGroupPolicyTest, OfSeveralAddressedGroupsTheStrictestApplies) {
  set_group("support", "support@example.org", false);
  set_group("board", "board@example.org", true);
  auto in = engine_->incoming(from_alice({"support@example.org"}, {"Board@Example.org"}));
  EXPECT_EQ(in.signature, SignatureStatus::invalid) << in.signature_reason;
  EXPECT_NE(in.signature_reason.find("group board"), std::string::npos) << in.signature_reason;

  // The sender's own group does not govern incoming mail: only its recipients do.
  auto from_board = engine_->incoming(signed_carrying(
      alice_, {}, {}, message({.from = "board@example.org", .to = {"support@example.org"}})));
  EXPECT_NE(from_board.signatures.at(0).checks.revocation.status, "good");
  EXPECT_NE(from_board.signature, SignatureStatus::invalid) << from_board.signature_reason;
}

TEST_F(EngineGroupPolicyTest, AGroupRefusesSha1Signatures) {
  set_group("support", "support@example.org", std::nullopt, true);
  set_group("sales", "sales@example.org", std::nullopt, std::nullopt);
  auto refused = engine_->incoming(from_alice({"support@example.org"}, {}, EVP_sha1()));
  EXPECT_EQ(refused.signature, SignatureStatus::invalid) << refused.signature_reason;
  EXPECT_NE(refused.signature_reason.find("group support: reject_sha1 = true"), std::string::npos)
      << refused.signature_reason;

  auto weak = engine_->incoming(from_alice({"sales@example.org"}, {}, EVP_sha1()));
  EXPECT_EQ(weak.signature, SignatureStatus::valid) << weak.signature_reason;
  EXPECT_TRUE(warned(weak, "weak_algorithm"));
}

}  // namespace
}  // namespace smime::test
