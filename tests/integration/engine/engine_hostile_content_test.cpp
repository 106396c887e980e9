// Issue 11 items 8, 9 and 14 through the engine with the org key in the token: no signature
// without exactly one sender, one From field only, long header lines folded, the S/MIME
// nesting limit reported, and binary inner entities decrypted intact.
#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"
#include "support/hostile_mail.hpp"

namespace smime::test {
namespace {

class EngineHostileContentTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    org_ = imported_identity("support@example.org", "rsa-2048");
    alice_ = contact("alice@example.com");
  }

  void expect_invalid_outgoing(const std::string& wire, std::optional<bool> sign,
                               const std::string& fragment) {
    try {
      outgoing(wire, sign, false);
      ADD_FAILURE() << "signed: " << wire.substr(0, wire.find("\r\n\r\n"));
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }

  Identity org_;
  Identity alice_;
};

TEST_F(EngineHostileContentTest, SigningNeedsExactlyOneSenderAddress) {
  for (const std::string from :
       {"", "<>", "undisclosed-recipients:;", "support@example.org, other@example.org"}) {
    const std::string wire =
        with_headers("From: " + from + "\r\nTo: alice@example.com\r\nSubject: x\r\n",
                     "Content-Type: text/plain\r\n\r\nhello\r\n");
    expect_invalid_outgoing(wire, true, "exactly one sender address");
    // The group default ("sign if possible") does not pick an arbitrary key either.
    expect_invalid_outgoing(wire, std::nullopt, "exactly one sender address");
    // Encryption alone needs no sender.
    EXPECT_TRUE(outgoing(wire, false, true).encrypted) << from;
  }
}

TEST_F(EngineHostileContentTest, MoreThanOneFromFieldIsRefused) {
  const std::string wire = with_headers(
      "From: support@example.org\r\nFrom: attacker@example.net\r\n"
      "To: alice@example.com\r\nSubject: x\r\n",
      "Content-Type: text/plain\r\n\r\nhello\r\n");
  expect_invalid_outgoing(wire, true, "2 From header fields");
  const std::string two_senders = with_headers(
      "From: support@example.org\r\nSender: a@example.org\r\nSender: b@example.org\r\n"
      "To: alice@example.com\r\nSubject: x\r\n",
      "Content-Type: text/plain\r\n\r\nhello\r\n");
  expect_invalid_outgoing(two_senders, true, "2 Sender header fields");
}

TEST_F(EngineHostileContentTest, IncomingWithTwoFromFieldsIsNotVouchedForBySignature) {
  // Signed by alice, with a second From naming someone else: neither address is "the" sender.
  const std::string wire =
      signed_by(alice_,
                "From: ceo@example.org\r\nFrom: alice@example.com\r\nSubject: x\r\n"
                "Content-Type: text/plain\r\n\r\npay now\r\n");
  const auto in = engine_->incoming(wire);
  EXPECT_EQ(in.signature, engine::SignatureStatus::sender_mismatch) << in.signature_reason;
  ASSERT_FALSE(in.errors.empty());
  EXPECT_NE(in.errors[0].message.find("2 From header fields"), std::string::npos);
}

TEST_F(EngineHostileContentTest, OneMegabyteSubjectIsFoldedAndStillReadsTheSame) {
  std::string subject;
  for (int i = 0; subject.size() < 1'000'000; ++i) subject += "word" + std::to_string(i) + " ";
  subject += std::string(5'000, 'x');  // one word longer than a line may be
  subject += " end";
  const std::string wire = message({.from = org_.email, .to = {org_.email}, .subject = subject});
  const auto out = outgoing(wire, true, false);
  EXPECT_LE(longest_header_line(out.message), 78u);
  // The decoded Subject is the one that was sent.
  EXPECT_EQ(engine::mime::parse_addresses(out.message).subject, subject);
  const auto in = engine_->incoming(out.message);
  EXPECT_EQ(in.signature, engine::SignatureStatus::valid) << in.signature_reason;
}

TEST_F(EngineHostileContentTest, UnfoldableStructuredHeaderIsRefused) {
  const std::string wire =
      message({.from = org_.email, .to = {std::string(2'000, 'a') + "@example.com"}});
  expect_invalid_outgoing(wire, true, "998");
}

TEST_F(EngineHostileContentTest, ReachingTheSmimeNestingLimitIsAnError) {
  const std::string inner = "Content-Type: text/plain\r\n\r\ninnermost\r\n";
  const std::size_t layers = engine::Limits{}.smime_layers + 1;
  const std::string wire =
      with_headers("From: alice@example.com\r\nTo: support@example.org\r\nSubject: x\r\n",
                   signed_layers(inner, alice_.issued.cert.get(), alice_.issued.key.get(), layers));
  const auto in = engine_->incoming(wire);
  ASSERT_FALSE(in.errors.empty());
  EXPECT_EQ(in.errors.back().code, "limit_exceeded");
  EXPECT_NE(in.errors.back().message.find("smime_layers"), std::string::npos)
      << in.errors.back().message;
  EXPECT_EQ(in.layers.size(), engine::Limits{}.smime_layers);
  EXPECT_FALSE(in.ok());
  // At the limit itself everything unwraps.
  const auto at_limit = engine_->incoming(with_headers(
      "From: alice@example.com\r\nTo: support@example.org\r\nSubject: x\r\n",
      signed_layers(inner, alice_.issued.cert.get(), alice_.issued.key.get(), layers - 1)));
  EXPECT_TRUE(at_limit.ok()) << (at_limit.errors.empty() ? "" : at_limit.errors[0].message);
  EXPECT_NE(at_limit.message.find("innermost"), std::string::npos);
}

TEST_F(EngineHostileContentTest, BinaryInnerEntitySurvivesDecryption) {
  // Signed-data sent as Content-Transfer-Encoding: binary inside the envelope, as some
  // clients do: its DER has CR and LF bytes that must not become CRLF.
  std::string text = "Content-Type: text/plain\r\n\r\nsigned inside\r\n";
  std::vector<unsigned char> der;
  for (int i = 0; i < 50; ++i, text += "more\r\n") {
    der = opaque_signed(text, alice_.issued.cert.get(), alice_.issued.key.get());
    if (std::find(der.begin(), der.end(), '\n') != der.end()) break;
  }
  ASSERT_NE(std::find(der.begin(), der.end(), '\n'), der.end()) << "no LF byte in the DER";
  const std::string inner = pkcs7_mime_entity(der, "signed-data", /*binary=*/true);
  const std::string wire =
      with_headers("From: alice@example.com\r\nTo: support@example.org\r\nSubject: x\r\n",
                   pkcs7_mime_entity(enveloped(inner, org_.issued.cert.get()), "enveloped-data"));
  const auto in = engine_->incoming(wire);
  EXPECT_TRUE(in.errors.empty()) << in.errors[0].code << ": " << in.errors[0].message;
  EXPECT_TRUE(in.decrypted);
  EXPECT_TRUE(in.signed_);
  EXPECT_EQ(in.signature, engine::SignatureStatus::valid) << in.signature_reason;
  EXPECT_TRUE(in.ok());
}

}  // namespace
}  // namespace smime::test
