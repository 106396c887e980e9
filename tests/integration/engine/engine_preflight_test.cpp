// Preflight (SPEC §7): what the helpdesk composer's Sign and Encrypt buttons need, with the
// reasons a person reads, from the same selection outgoing mail uses.
#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "smime/common/error.hpp"

namespace smime::test {
namespace {

class EnginePreflightTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    org_ = token_identity("support@example.org", KeyAlgorithm::ec_p256);
  }

  engine::PreflightResult preflight(engine::PreflightRequest request) {
    return engine_->preflight(request);
  }

  Identity org_;
};

TEST_F(EnginePreflightTest, EverythingFound) {
  const Identity alice = contact("alice@example.com");
  const Identity bob = contact("bob@example.com", "ec-p256");
  auto r = preflight(
      {.from = "Support@Example.org", .to = {"alice@example.com"}, .cc = {"BOB@example.com"}});
  EXPECT_TRUE(r.sign.possible);
  EXPECT_EQ(r.sign.reason, "The certificate for support@example.org was found");
  ASSERT_TRUE(r.sign.certificate.has_value());
  EXPECT_EQ(r.sign.certificate->fingerprint, org_.fingerprint);
  EXPECT_TRUE(r.encrypt.possible);
  EXPECT_TRUE(r.encrypt.missing.empty());
  // alice, bob and the sender's own copy.
  ASSERT_EQ(r.encrypt.certificates.size(), 3u);
  EXPECT_EQ(r.encrypt.certificates[0].fingerprint, alice.fingerprint);
  EXPECT_EQ(r.encrypt.certificates[1].address, "bob@example.com");
  EXPECT_EQ(r.encrypt.certificates[1].fingerprint, bob.fingerprint);
  EXPECT_EQ(r.encrypt.certificates[2].fingerprint, org_.fingerprint);
  EXPECT_EQ(r.encrypt.reason, "The certificates for all 3 recipients were found");
  // No group: "sign and encrypt if possible".
  EXPECT_EQ(r.defaults.group, "");
  EXPECT_EQ(r.defaults.behaviour, "sign-encrypt");
  EXPECT_TRUE(r.defaults.sign);
  EXPECT_TRUE(r.defaults.encrypt);
}

TEST_F(EnginePreflightTest, MissingAndExpiredRecipientsAreNamed) {
  CertificateSpec expired = CertificateSpec::smime("old@example.com");
  expired.not_before_days = -60;
  expired.not_after_days = -1;
  contact_from(expired, "old@example.com");
  contact("alice@example.com");
  auto r = preflight({.from = "support@example.org",
                      .to = {"alice@example.com", "nobody@example.com", "old@example.com"}});
  EXPECT_TRUE(r.sign.possible);
  EXPECT_FALSE(r.encrypt.possible);
  ASSERT_EQ(r.encrypt.missing.size(), 2u);
  EXPECT_EQ(r.encrypt.missing[0].address, "nobody@example.com");
  EXPECT_EQ(r.encrypt.missing[0].reason, "The certificate for nobody@example.com was not found");
  EXPECT_EQ(r.encrypt.missing[1].address, "old@example.com");
  EXPECT_EQ(r.encrypt.missing[1].reason,
            "The certificate for old@example.com was found, but has expired");
  EXPECT_EQ(r.encrypt.reason, r.encrypt.missing[0].reason);
  EXPECT_EQ(r.encrypt.certificates.size(), 2u) << "alice and the sender copy are still listed";
}

TEST_F(EnginePreflightTest, NoRecipientAndNoSigningCertificate) {
  auto r = preflight({.from = "agent@example.org", .to = {}, .encrypt_to_sender = false});
  EXPECT_FALSE(r.sign.possible);
  EXPECT_EQ(r.sign.reason, "The certificate for agent@example.org was not found");
  EXPECT_FALSE(r.sign.certificate.has_value());
  EXPECT_FALSE(r.encrypt.possible);
  EXPECT_EQ(r.encrypt.reason, "There was no recipient found");
}

TEST_F(EnginePreflightTest, ExpiredSigningCertificateIsNotUsable) {
  KeyInfo key = key_store().generate(KeyAlgorithm::ec_p256, "old-org");
  EvpPkeyPtr pub = key_store().public_key(key.id);
  CertificateSpec spec = CertificateSpec::smime("old-org@example.org");
  spec.key = pub.get();
  spec.not_before_days = -30;
  spec.not_after_days = -1;
  spec.issued_by(ca_);
  const std::string fp = store_certificate(issue_certificate(spec).cert.get());
  store_->set_certificate_key(fp, key.id, false);
  auto r = preflight({.from = "old-org@example.org", .to = {}});
  EXPECT_FALSE(r.sign.possible);
  EXPECT_EQ(r.sign.reason, "The certificate for old-org@example.org was found, but has expired");
}

TEST_F(EnginePreflightTest, GroupAddressAndDefaults) {
  store_->upsert_group({"helpdesk", "support@example.org", store::DefaultBehaviour::sign, 0, 0});
  contact("alice@example.com");
  // The agent's own address has no certificate; the group's address signs.
  auto r = preflight(
      {.from = "agent.smith@example.org", .to = {"alice@example.com"}, .group = "helpdesk"});
  EXPECT_TRUE(r.sign.possible);
  EXPECT_EQ(r.sign.certificate->fingerprint, org_.fingerprint);
  EXPECT_EQ(r.defaults.group, "helpdesk");
  EXPECT_EQ(r.defaults.behaviour, "sign");
  EXPECT_TRUE(r.defaults.sign);
  EXPECT_FALSE(r.defaults.encrypt);
  // Found through From as well.
  EXPECT_EQ(preflight({.from = "support@example.org"}).defaults.group, "helpdesk");
}

TEST_F(EnginePreflightTest, BadInputIsRefused) {
  for (const char* bad : {"no-at-sign", "@example.org", "a b@example.org", "x@"}) {
    SCOPED_TRACE(bad);
    try {
      preflight({.from = "support@example.org", .to = {bad}});
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    }
  }
  try {
    preflight({.from = "support@example.org", .group = "nonexistent"});
    ADD_FAILURE() << "accepted an unknown group";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
}

}  // namespace
}  // namespace smime::test
