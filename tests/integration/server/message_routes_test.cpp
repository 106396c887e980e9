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

}  // namespace
}  // namespace smime::test
