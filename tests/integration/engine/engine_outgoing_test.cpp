// Outgoing policy (SPEC §7): signer and recipients chosen through the store, never an expired
// certificate, no silent partial encryption, group defaults, and the MIME shape of the result.
#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "smime/common/error.hpp"
#include "smime/engine/result_json.hpp"

namespace smime::test {
namespace {

class EngineOutgoingTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    org_ = token_identity("support@example.org", KeyAlgorithm::rsa_2048);
  }

  // Runs outgoing and returns the Error it throws (fails the test when none).
  Error error_of(const std::string& m, std::optional<bool> sign, std::optional<bool> encrypt,
                 engine::OutgoingRequest request = {}) {
    try {
      outgoing(m, sign, encrypt, request);
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "no error";
    return Error(ErrorCode::internal, "none");
  }

  Identity org_;
};

TEST_F(EngineOutgoingTest, RecipientsAreToCcBccExplicitBccAndTheSender) {
  for (const char* a :
       {"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"}) {
    contact(a);
  }
  std::string m = message({.to = {"Alice <ALICE@example.com>"}, .cc = {"bob@example.com"}});
  m.insert(m.find("Subject:"), "Bcc: carol@example.com\r\n");
  engine::OutgoingRequest request;
  request.bcc = {"dave@example.com"};
  auto out = outgoing(m, false, true, request);
  std::vector<std::string> addresses;
  for (const auto& r : out.recipients) addresses.push_back(r.address);
  EXPECT_EQ(addresses,
            (std::vector<std::string>{"alice@example.com", "bob@example.com", "carol@example.com",
                                      "dave@example.com", "support@example.org"}));
  CmsPtr cms = parse_cms(cms_of(out.message));
  EXPECT_EQ(sk_CMS_RecipientInfo_num(CMS_get0_RecipientInfos(cms.get())), 5);
}

TEST_F(EngineOutgoingTest, SenderCopyCanBeTurnedOff) {
  contact("alice@example.com");
  engine::OutgoingRequest request;
  request.encrypt_to_sender = false;
  auto out = outgoing(message(), false, true, request);
  ASSERT_EQ(out.recipients.size(), 1u);
  EXPECT_EQ(out.recipients[0].address, "alice@example.com");
}

TEST_F(EngineOutgoingTest, OneMissingRecipientFailsTheRequestNamingTheAddress) {
  contact("alice@example.com");
  Error e = error_of(message({.to = {"alice@example.com", "nobody@example.com"}}), false, true);
  EXPECT_EQ(e.code(), ErrorCode::no_certificate);
  EXPECT_NE(std::string(e.what()).find("nobody@example.com"), std::string::npos) << e.what();
}

TEST_F(EngineOutgoingTest, ExpiredRecipientCertificateIsNeverUsed) {
  CertificateSpec spec = CertificateSpec::smime("alice@example.com");
  spec.not_before_days = -60;
  spec.not_after_days = -1;
  contact_from(spec, "alice@example.com");
  Error e = error_of(message(), false, true);
  EXPECT_EQ(e.code(), ErrorCode::no_certificate);
  EXPECT_NE(std::string(e.what()).find("alice@example.com"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos) << e.what();
}

TEST_F(EngineOutgoingTest, NotYetValidSigningCertificateIsNeverUsed) {
  KeyInfo key = key_store().generate(KeyAlgorithm::ec_p256, "future");
  EvpPkeyPtr pub = key_store().public_key(key.id);
  CertificateSpec spec = CertificateSpec::smime("future@example.org");
  spec.key = pub.get();
  spec.not_before_days = 2;
  spec.issued_by(ca_);
  auto cert = issue_certificate(spec);
  const std::string fp = store_certificate(cert.cert.get());
  store_->set_certificate_key(fp, key.id, false);
  Error e = error_of(message({.from = "future@example.org"}), true, false);
  EXPECT_EQ(e.code(), ErrorCode::no_certificate);
  EXPECT_NE(std::string(e.what()).find("Cannot sign"), std::string::npos) << e.what();
}

TEST_F(EngineOutgoingTest, NoRecipientAtAll) {
  Error e = error_of(message({.to = {}}), false, true, [] {
    engine::OutgoingRequest r;
    r.encrypt_to_sender = false;
    return r;
  }());
  EXPECT_EQ(std::string(e.what()), "Cannot encrypt: There was no recipient found");
}

TEST_F(EngineOutgoingTest, SigningWithoutACertificateForFromFails) {
  Error e = error_of(message({.from = "stranger@example.org"}), true, false);
  EXPECT_EQ(e.code(), ErrorCode::no_certificate);
  EXPECT_NE(std::string(e.what()).find("stranger@example.org"), std::string::npos) << e.what();
}

TEST_F(EngineOutgoingTest, GroupDefaultApplies) {
  contact("alice@example.com");
  store_->upsert_group({"helpdesk", "support@example.org", store::DefaultBehaviour::sign, 0, 0});
  auto out = outgoing(message(), std::nullopt, std::nullopt);
  EXPECT_TRUE(out.signed_);
  EXPECT_FALSE(out.encrypted);
  EXPECT_EQ(out.decided_by, "group helpdesk");
  // An explicit choice wins over the group default.
  auto both = outgoing(message(), std::nullopt, true);
  EXPECT_TRUE(both.signed_);
  EXPECT_TRUE(both.encrypted);
}

// The engine keeps the group list between messages: a change of a group (which bumps the store
// revision) governs the very next message, and so does a group deleted.
TEST_F(EngineOutgoingTest, AGroupChangedBetweenMessagesGovernsTheNextOne) {
  contact("alice@example.com");
  store_->upsert_group({"helpdesk", "support@example.org", store::DefaultBehaviour::sign, 0, 0});
  auto first = outgoing(message(), std::nullopt, std::nullopt);
  EXPECT_TRUE(first.signed_);
  EXPECT_FALSE(first.encrypted);

  store_->upsert_group({"helpdesk", "support@example.org", store::DefaultBehaviour::encrypt, 0, 0});
  auto second = outgoing(message(), std::nullopt, std::nullopt);
  EXPECT_FALSE(second.signed_);
  EXPECT_TRUE(second.encrypted);
  EXPECT_EQ(second.decided_by, "group helpdesk");

  ASSERT_TRUE(store_->delete_group("helpdesk"));
  auto third = outgoing(message(), std::nullopt, std::nullopt);
  EXPECT_TRUE(third.signed_);
  EXPECT_TRUE(third.encrypted);
  EXPECT_EQ(third.decided_by, "default");
  engine::OutgoingRequest request;
  request.group = "helpdesk";
  EXPECT_EQ(error_of(message(), std::nullopt, std::nullopt, request).code(), ErrorCode::not_found);
}

TEST_F(EngineOutgoingTest, NamedGroupSignsWithTheGroupAddress) {
  store_->upsert_group({"helpdesk", "support@example.org", store::DefaultBehaviour::sign, 0, 0});
  engine::OutgoingRequest request;
  request.group = "helpdesk";
  auto out =
      outgoing(message({.from = "agent.smith@example.org"}), std::nullopt, std::nullopt, request);
  ASSERT_TRUE(out.signer.has_value());
  EXPECT_EQ(out.signer->fingerprint, org_.fingerprint);
  request.group = "nonexistent";
  EXPECT_EQ(error_of(message(), std::nullopt, std::nullopt, request).code(), ErrorCode::not_found);
}

TEST_F(EngineOutgoingTest, DefaultIsSignAndEncryptIfPossible) {
  // No certificate for the recipient: signing only, no failure.
  auto signed_only = outgoing(message(), std::nullopt, std::nullopt);
  EXPECT_TRUE(signed_only.signed_);
  EXPECT_FALSE(signed_only.encrypted);
  contact("alice@example.com");
  auto both = outgoing(message(), std::nullopt, std::nullopt);
  EXPECT_TRUE(both.signed_);
  EXPECT_TRUE(both.encrypted);
  EXPECT_EQ(both.decided_by, "default");
}

TEST_F(EngineOutgoingTest, SignedOnlyByDefaultSaysWhichRecipientHadNoCertificate) {
  // Issue 17 item 7: alice has a certificate, bob and carol none; the message goes out signed
  // only and says so, naming exactly the recipients without a usable certificate.
  contact("alice@example.com");
  auto out = outgoing(
      message({.to = {"alice@example.com", "bob@example.com"}, .cc = {"carol@example.com"}}),
      std::nullopt, std::nullopt);
  EXPECT_TRUE(out.signed_);
  EXPECT_FALSE(out.encrypted);
  EXPECT_NE(out.not_encrypted_reason.find("bob@example.com"), std::string::npos)
      << out.not_encrypted_reason;
  EXPECT_NE(out.not_encrypted_reason.find("carol@example.com"), std::string::npos);
  EXPECT_EQ(out.not_encrypted_reason.find("alice@example.com"), std::string::npos);
  EXPECT_EQ(engine::to_json(out)["not_encrypted_reason"], out.not_encrypted_reason);

  // Encrypted, or encryption not asked for: no reason.
  auto encrypted = outgoing(message(), std::nullopt, std::nullopt);
  EXPECT_TRUE(encrypted.encrypted);
  EXPECT_TRUE(encrypted.not_encrypted_reason.empty());
  auto sign_only = outgoing(message({.to = {"bob@example.com"}}), true, false);
  EXPECT_TRUE(sign_only.not_encrypted_reason.empty());
  EXPECT_FALSE(engine::to_json(sign_only).contains("not_encrypted_reason"));
}

TEST_F(EngineOutgoingTest, EightBitAttachmentsAndNestedPartsSurviveSigning) {
  const std::string body =
      "--outer\r\n"
      "Content-Type: multipart/alternative; boundary=inner\r\n\r\n"
      "--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
      "8bit\r\n\r\n"
      "Grüße aus München\r\n"
      "--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hallo</p>\r\n"
      "--inner--\r\n"
      "--outer\r\nContent-Type: message/rfc822\r\n\r\n"
      "From: a@example.com\r\nSubject: inner\r\n\r\nforwarded\r\n"
      "--outer\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgcICQ==\r\n"
      "--outer--\r\n";
  MessageSpec spec;
  spec.subject = "=?utf-8?q?Gr=C3=BC=C3=9Fe?=";
  spec.content_headers = "Content-Type: multipart/mixed; boundary=outer\r\n";
  spec.body = body;
  auto out = outgoing(message(spec), true, false);
  // Everything inside the signature is 7-bit now.
  for (unsigned char c : out.message) ASSERT_LT(c, 0x80);
  EXPECT_NE(out.message.find("Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"), std::string::npos);
  EXPECT_NE(out.message.find("AAECAwQFBgcICQ=="), std::string::npos);
  EXPECT_NE(out.message.find("From: a@example.com\r\nSubject: inner\r\n\r\nforwarded"),
            std::string::npos);
  auto in = engine_->incoming(out.message);
  EXPECT_EQ(in.signature, engine::SignatureStatus::valid) << in.signature_reason;
}

}  // namespace
}  // namespace smime::test
