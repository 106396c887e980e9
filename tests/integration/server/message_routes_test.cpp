// The helpdesk's job over HTTPS against a real smimed (in-process, TLS on loopback, keys in
// SoftHSM2): preflight, outgoing by group policy, incoming decrypt+verify, and the audit log
// entries those requests left behind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "support/test_certs.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

class MessageRoutesTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    // The org key in the token with a self-signed certificate, through the API.
    org_fingerprint_ = generate_org_key();
  }

  static std::string message(const std::string& to) {
    return "From: support@example.org\r\nTo: " + to +
           "\r\nSubject: Ticket 4711\r\nMessage-ID: <t4711@example.org>\r\n"
           "Content-Type: text/plain; charset=us-ascii\r\n\r\nYour ticket was resolved.\r\n";
  }

  std::string org_fingerprint_;
};

TEST_F(MessageRoutesTest, PreflightNamesWhatIsPossibleAndWhatIsMissing) {
  HttpsClient c = client();
  HttpResult preflight =
      c.request("POST", "/api/v1/messages/preflight",
                json{{"from", "support@example.org"}, {"to", {"alice@example.com"}}}.dump(),
                auth("application/json"));
  ASSERT_EQ(preflight.status, 200) << preflight.body;
  json p = json::parse(preflight.body);
  EXPECT_TRUE(p["sign"]["possible"].get<bool>());
  EXPECT_EQ(p["sign"]["certificate"]["fingerprint"], org_fingerprint_);
  EXPECT_FALSE(p["encrypt"]["possible"].get<bool>());
  EXPECT_EQ(p["encrypt"]["reason"], "The certificate for alice@example.com was not found");
  EXPECT_EQ(p["encrypt"]["missing"][0]["address"], "alice@example.com");
  EXPECT_EQ(p["defaults"]["behaviour"], "sign-encrypt");

  // Wrong media type and malformed preflight JSON.
  EXPECT_EQ(c.request("POST", "/api/v1/messages/outgoing", "{}", auth("application/json")).status,
            415);
  EXPECT_EQ(c.request("POST", "/api/v1/messages/preflight", "{\"to\": 5}", auth("application/json"))
                .status,
            400);
}

TEST_F(MessageRoutesTest, OutgoingFollowsThePolicyAndEachOperationIsLogged) {
  HttpsClient c = client();
  // Default "sign and encrypt if possible": alice has no certificate, so only signed.
  HttpResult signed_only = c.request("POST", "/api/v1/messages/outgoing",
                                     message("alice@example.com"), auth("message/rfc822"));
  ASSERT_EQ(signed_only.status, 200) << signed_only.body;
  EXPECT_EQ(signed_only.headers["content-type"], "message/rfc822");
  EXPECT_EQ(signed_only.headers["x-smime-signed"], "true");
  EXPECT_EQ(signed_only.headers["x-smime-encrypted"], "false");
  EXPECT_NE(signed_only.body.find("multipart/signed"), std::string::npos);
  // Issue 17 item 7: the answer and the audit entry say which recipient had no certificate.
  EXPECT_NE(signed_only.headers["x-smime-not-encrypted-reason"].find("alice@example.com"),
            std::string::npos)
      << signed_only.headers["x-smime-not-encrypted-reason"];

  // Explicit encryption to someone without a certificate: 422 naming the address.
  HttpResult refused = c.request("POST", "/api/v1/messages/outgoing?encrypt=true",
                                 message("alice@example.com"), auth("message/rfc822"));
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("alice@example.com"), std::string::npos);

  // Sign and encrypt to ourselves.
  HttpResult both = c.request("POST", "/api/v1/messages/outgoing?sign=true&encrypt=true",
                              message("support@example.org"), auth("message/rfc822"));
  ASSERT_EQ(both.status, 200) << both.body;

  // Every operation is in the log, newest first.
  HttpResult logs = c.request("GET", "/api/v1/logs?direction=outgoing", "", auth());
  ASSERT_EQ(logs.status, 200) << logs.body;
  json entries = json::parse(logs.body)["entries"];
  ASSERT_EQ(entries.size(), 3u) << logs.body;
  EXPECT_EQ(entries[0]["operation"], "message.sign+encrypt");
  EXPECT_EQ(entries[1]["status"], "failed");
  EXPECT_EQ(entries[2]["operation"], "message.sign");
  EXPECT_EQ(entries[2]["message_id"], "t4711@example.org");
  EXPECT_NE(entries[2]["detail"].get<std::string>().find("not encrypted: No usable certificate "
                                                         "for alice@example.com"),
            std::string::npos)
      << entries[2]["detail"];
  EXPECT_EQ(both.headers.count("x-smime-not-encrypted-reason"), 0u);
  EXPECT_EQ(entries[0]["detail"].get<std::string>().find("not encrypted"), std::string::npos);
}

TEST_F(MessageRoutesTest, IncomingTakesOurMessageApartAndEachOperationIsLogged) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_ECDH1_DERIVE);
  HttpsClient c = client();
  // Sign and encrypt to ourselves, then take it apart again.
  HttpResult both = c.request("POST", "/api/v1/messages/outgoing?sign=true&encrypt=true",
                              message("support@example.org"), auth("message/rfc822"));
  ASSERT_EQ(both.status, 200) << both.body;
  HttpResult incoming =
      c.request("POST", "/api/v1/messages/incoming", both.body, auth("message/rfc822"));
  ASSERT_EQ(incoming.status, 200) << incoming.body;
  json in = json::parse(incoming.body);
  EXPECT_TRUE(in["encrypted"].get<bool>());
  EXPECT_TRUE(in["decrypted"].get<bool>()) << in.dump(2);
  EXPECT_TRUE(in["signed"].get<bool>());
  EXPECT_EQ(in["signature"]["status"], "valid");
  EXPECT_EQ(in["signature"]["signer"]["fingerprint"], org_fingerprint_);
  EXPECT_FALSE(in["message"].get<std::string>().empty());
  // Every signature layer with its checks apart (issue 16), as the OpenAPI file describes.
  ASSERT_EQ(in["signatures"].size(), 1u) << in.dump(2);
  const json& layer = in["signatures"][0];
  EXPECT_EQ(layer["status"], "valid");
  EXPECT_EQ(layer["signer"]["fingerprint"], org_fingerprint_);
  EXPECT_EQ(layer["checks"]["integrity"]["status"], "valid");
  EXPECT_EQ(layer["checks"]["chain"]["status"], "valid");
  EXPECT_EQ(layer["checks"]["revocation"]["status"], "unknown");
  EXPECT_EQ(layer["checks"]["revocation"]["source"], "none");
  EXPECT_EQ(layer["checks"]["sender_match"]["status"], "match");
  EXPECT_EQ(layer["checks"]["validity"]["status"], "valid");
  EXPECT_EQ(layer["checks"]["algorithm"]["status"], "ok");
  EXPECT_EQ(layer["warnings"], json::array({"revocation_unknown"}));

  // Garbage is a 200 with the reason (the message is never lost), not a server error.
  HttpResult garbage = c.request("POST", "/api/v1/messages/incoming",
                                 "Content-Type: application/pkcs7-mime; smime-type=enveloped-data"
                                 "\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n",
                                 auth("message/rfc822"));
  ASSERT_EQ(garbage.status, 200) << garbage.body;
  EXPECT_FALSE(json::parse(garbage.body)["errors"].empty());

  // Incoming entries name the received message's Message-ID and addresses (the outer
  // headers stay outside the encryption).
  HttpResult in_logs = c.request("GET", "/api/v1/logs?direction=incoming", "", auth());
  ASSERT_EQ(in_logs.status, 200) << in_logs.body;
  json incoming_entries = json::parse(in_logs.body)["entries"];
  ASSERT_EQ(incoming_entries.size(), 2u) << in_logs.body;
  EXPECT_EQ(incoming_entries[0]["status"], "failed");  // the garbage, newest
  EXPECT_EQ(incoming_entries[1]["operation"], "message.decrypt+verify");
  EXPECT_EQ(incoming_entries[1]["message_id"], "t4711@example.org");
  EXPECT_EQ(incoming_entries[1]["addresses"][0], "support@example.org");
  HttpResult bad_filter = c.request("GET", "/api/v1/logs?direction=sideways", "", auth());
  EXPECT_EQ(bad_filter.status, 400);
}

// Issue 15 item 4: what outgoing made of a body within body_limit comes back in through
// incoming (its own, larger bound), and Accept: message/rfc822 returns the message itself.
TEST_F(MessageRoutesTest, IncomingTakesWhatOutgoingMadeOfABodyAtTheLimit) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_ECDH1_DERIVE);
  HttpsClient c = client();
  // 8-bit text just under body_limit: signing may transfer-encode it, the envelope is base64.
  std::string text;
  while (text.size() < kBodyLimit - 2048)
    text += "Grüße aus dem Support, Ticket 4711 erledigt.\r\n";
  const std::string original =
      "From: support@example.org\r\nTo: support@example.org\r\n"
      "Subject: Ticket 4711\r\nMessage-ID: <big4711@example.org>\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\n" +
      text;
  ASSERT_LT(original.size(), kBodyLimit);
  HttpResult both = c.request("POST", "/api/v1/messages/outgoing?sign=true&encrypt=true", original,
                              auth("message/rfc822"));
  ASSERT_EQ(both.status, 200) << both.body;
  ASSERT_GT(both.body.size(), kBodyLimit) << "the result outgrew body_limit";

  auto headers = auth("message/rfc822");
  headers["Accept"] = "message/rfc822, application/json;q=0.5";
  HttpResult incoming = c.request("POST", "/api/v1/messages/incoming", both.body, headers);
  ASSERT_EQ(incoming.status, 200) << incoming.body;
  EXPECT_EQ(incoming.headers["content-type"], "message/rfc822");
  EXPECT_EQ(incoming.headers["x-smime-encrypted"], "true");
  EXPECT_EQ(incoming.headers["x-smime-decrypted"], "true");
  EXPECT_EQ(incoming.headers["x-smime-signed"], "true");
  EXPECT_EQ(incoming.headers["x-smime-signature"], "valid");
  EXPECT_EQ(incoming.headers["x-smime-signer"], org_fingerprint_);
  EXPECT_EQ(incoming.headers["x-smime-signer-emails"], "support@example.org");
  EXPECT_EQ(incoming.headers.count("x-smime-errors"), 0u);
  EXPECT_NE(incoming.body.find("Subject: Ticket 4711"), std::string::npos);
  EXPECT_GT(incoming.body.size(), text.size()) << "the whole decrypted message";

  // JSON stays the default, also for a client that accepts anything.
  headers["Accept"] = "*/*";
  HttpResult as_json = c.request("POST", "/api/v1/messages/incoming", both.body, headers);
  ASSERT_EQ(as_json.status, 200);
  EXPECT_EQ(json::parse(as_json.body)["signature"]["status"], "valid");

  // Each bound names its setting (and the connection closes after the 413).
  HttpResult too_big_out =
      client().request("POST", "/api/v1/messages/outgoing", original + std::string(4096, 'x'),
                       auth("message/rfc822"));
  EXPECT_EQ(too_big_out.status, 413);
  EXPECT_NE(too_big_out.body.find("setting body_limit)"), std::string::npos) << too_big_out.body;
  HttpResult too_big_in =
      client().request("POST", "/api/v1/messages/incoming",
                       std::string(2 * kBodyLimit + (1 << 20) + 1, 'x'), auth("message/rfc822"));
  EXPECT_EQ(too_big_in.status, 413);
  EXPECT_NE(too_big_in.body.find("incoming_body_limit"), std::string::npos) << too_big_in.body;
}

TEST_F(MessageRoutesTest, IncomingHeadersCarryNoControlCharactersOfTheMessage) {
  HttpsClient c = client();
  auto headers = auth("message/rfc822");
  headers["Accept"] = "message/rfc822";
  // Not S/MIME: the errors say so; nothing of the message becomes a header line.
  HttpResult r = c.request("POST", "/api/v1/messages/incoming",
                           "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
                           "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n",
                           headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "message/rfc822");
  EXPECT_FALSE(r.headers["x-smime-errors"].empty());
  for (const auto& [name, value] : r.headers) {
    for (const char ch : value) {
      EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << name << ": " << value;
    }
  }
}

}  // namespace
}  // namespace smime::test
