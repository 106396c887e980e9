// Message use cases with software keys: every outgoing and incoming message is in the audit log
// when the call returns, with its addresses and certificates; one that fails is recorded as
// failed before the error reaches the caller.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app_fixture.hpp"
#include "smime/audit/audit_json.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "smime/engine/result_json.hpp"

namespace smime::test {
namespace {

const std::string kMessage =
    "From: Support <support@example.org>\r\n"
    "To: alice@example.com\r\n"
    "Subject: Ticket 4711\r\n"
    "Message-ID: <4711@example.org>\r\n"
    "\r\n"
    "Resolved.\r\n";

class MessageUseCasesTest : public AppTest {
 protected:
  // The organisation's signing identity: a key in the (fake) token, its certificate stored.
  std::string org_identity() {
    app::KeyGeneration request;
    request.algorithm = KeyAlgorithm::rsa_2048;
    request.label = "support";
    request.emails = {"support@example.org"};
    request.self_signed = true;
    return app_->keys.generate(caller_, request).certificate->sha256;
  }
  engine::OutgoingResult sign(const std::string& message) {
    engine::OutgoingRequest request;
    request.message = message;
    request.sign = true;
    request.encrypt = false;
    return app_->messages.outgoing(caller_, request);
  }
};

TEST_F(MessageUseCasesTest, SignedOutgoingAndItsVerificationAreBothAudited) {
  const std::string org = org_identity();
  const engine::OutgoingResult out = sign(kMessage);
  ASSERT_TRUE(out.signed_);
  audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.direction, audit::Direction::outgoing);
  EXPECT_EQ(entry.event.operation, audit::operation::message_sign);
  EXPECT_EQ(entry.event.status, audit::Status::ok);
  EXPECT_EQ(entry.event.actor, "7");
  EXPECT_EQ(entry.event.message_id, "4711@example.org");
  EXPECT_EQ(entry.event.addresses,
            (std::vector<std::string>{"support@example.org", "alice@example.com"}));
  EXPECT_EQ(entry.event.fingerprints, std::vector<std::string>{org});

  const engine::IncomingResult in = app_->messages.incoming(caller_, out.message);
  EXPECT_EQ(in.signature, engine::SignatureStatus::valid) << in.signature_reason;
  entry = newest_entry();
  EXPECT_EQ(entry.event.direction, audit::Direction::incoming);
  EXPECT_EQ(entry.event.operation, audit::operation::message_verify);
  EXPECT_EQ(entry.event.status, audit::Status::ok);
  EXPECT_EQ(entry.event.fingerprints, std::vector<std::string>{org});
  // The summary first, then each layer's checks apart.
  EXPECT_EQ(entry.event.detail.rfind("signature valid: " + in.signature_reason + "; layer 1 ", 0),
            0u)
      << entry.event.detail;
  EXPECT_NE(entry.event.detail.find("integrity valid, chain valid"), std::string::npos)
      << entry.event.detail;
  // The layers themselves, as the answer lists them (the web UI's log detail shows them).
  const nlohmann::json layers = nlohmann::json::parse(entry.event.signatures);
  ASSERT_TRUE(layers.is_array());
  ASSERT_EQ(layers.size(), in.signatures.size());
  EXPECT_EQ(layers[0], engine::to_json(in.signatures[0]));
  EXPECT_EQ(layers[0]["checks"]["chain"]["status"], "valid");
  EXPECT_EQ(layers[0]["signer"]["fingerprint"], org);
  EXPECT_EQ(audit::to_json(entry)["signatures"], layers);
}

TEST_F(MessageUseCasesTest, OutgoingThatFailsIsAuditedAsFailedBeforeTheErrorPropagates) {
  // No certificate for the sender: signing is impossible.
  try {
    sign(kMessage);
    FAIL() << "signed without a certificate";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::no_certificate);
    const audit::AuditEntry entry = newest_entry();
    EXPECT_EQ(entry.event.operation, audit::operation::message_outgoing);
    EXPECT_EQ(entry.event.status, audit::Status::failed);
    EXPECT_EQ(entry.event.message_id, "4711@example.org");
    EXPECT_EQ(entry.event.addresses,
              (std::vector<std::string>{"support@example.org", "alice@example.com"}));
    EXPECT_NE(entry.event.detail.find(e.what()), std::string::npos) << entry.event.detail;
  }
}

TEST_F(MessageUseCasesTest, TamperedIncomingIsAnsweredAndAuditedAsFailed) {
  org_identity();
  std::string message = sign(kMessage).message;
  const auto at = message.find("Resolved.");
  ASSERT_NE(at, std::string::npos);
  message.replace(at, 9, "Reopened.");

  const engine::IncomingResult in = app_->messages.incoming(caller_, message);
  EXPECT_EQ(in.signature, engine::SignatureStatus::invalid);
  const audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::message_verify);
  EXPECT_EQ(entry.event.status, audit::Status::failed);
  EXPECT_EQ(entry.event.detail.rfind("signature invalid", 0), 0u) << entry.event.detail;
}

TEST_F(MessageUseCasesTest, IncomingThatIsNoMessageIsAnsweredNotThrown) {
  const engine::IncomingResult in = app_->messages.incoming(caller_, "no header block at all");
  ASSERT_FALSE(in.errors.empty());
  EXPECT_FALSE(in.ok());
  const audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::message_incoming);
  EXPECT_EQ(entry.event.status, audit::Status::failed);
  EXPECT_NE(entry.event.detail.find(in.errors[0].message), std::string::npos);
}

TEST_F(MessageUseCasesTest, PreflightReadsTheStoreAndRecordsNothing) {
  org_identity();
  const auto before = entries().size();
  engine::PreflightRequest request;
  request.from = "support@example.org";
  request.to = {"alice@example.com"};
  const engine::PreflightResult result = app_->messages.preflight(request);
  EXPECT_TRUE(result.sign.possible) << result.sign.reason;
  EXPECT_FALSE(result.encrypt.possible);
  ASSERT_EQ(result.encrypt.missing.size(), 1u);
  EXPECT_EQ(result.encrypt.missing[0].address, "alice@example.com");
  EXPECT_EQ(entries().size(), before);
}

}  // namespace
}  // namespace smime::test
