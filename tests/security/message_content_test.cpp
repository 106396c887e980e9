// Issue 11 items 6, 8, 9, 10 (import report) and 14, sent as a helpdesk client would: over TLS
// to an in-process smimed with its org key in SoftHSM2. Each hostile message gets a clear
// answer naming the rule or limit, the server stays up, and what it stores stays bounded.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "security_server_test.hpp"
#include "support/hostile_mail.hpp"
#include "support/test_certs.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

class MessageContentSecurityTest : public SecurityServerTest {
 protected:
  static constexpr std::size_t kLargeBody = 8 * 1024 * 1024;

  void configure(AppConfig& /*config*/, server::ServerSettings& settings) override {
    settings.body_limit = kLargeBody;
  }

  void SetUp() override {
    ServerTest::SetUp();
    org_fingerprint_ = generate_org_key();
  }

  HttpResult outgoing(HttpsClient& c, const std::string& wire,
                      const std::string& query = "?sign=true&encrypt=false") {
    return c.request("POST", "/api/v1/messages/outgoing" + query, wire, auth("message/rfc822"));
  }

  json incoming(HttpsClient& c, const std::string& wire) {
    HttpResult r = c.request("POST", "/api/v1/messages/incoming", wire, auth("message/rfc822"));
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 500);
    return json::parse(r.body);
  }

  static void expect_error(const HttpResult& r, int status, const std::string& code,
                           const std::string& fragment) {
    EXPECT_EQ(r.status, status) << r.body.substr(0, 500);
    const json body = json::parse(r.body);
    EXPECT_EQ(body["error"]["code"], code) << r.body.substr(0, 500);
    EXPECT_NE(body["error"]["message"].get<std::string>().find(fragment), std::string::npos)
        << body["error"]["message"];
  }

  static bool has_error(const json& answer, const std::string& code, const std::string& fragment) {
    for (const json& e : answer["errors"]) {
      if (e["code"] == code &&
          e["message"].get<std::string>().find(fragment) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  X509Ptr org_certificate(HttpsClient& c) {
    HttpResult pem = c.request(
        "GET", "/api/v1/certificates/" + org_fingerprint_ + "/download?format=pem", "", auth());
    EXPECT_EQ(pem.status, 200);
    BioPtr bio(BIO_new_mem_buf(pem.body.data(), static_cast<int>(pem.body.size())));
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  }

  void expect_still_serving(HttpsClient& c) {
    EXPECT_EQ(c.request("GET", "/healthz").status, 200);
    HttpResult ok = outgoing(c, with_headers(outer_headers("support@example.org", "a@example.com"),
                                             "Content-Type: text/plain\r\n\r\nfine\r\n"));
    EXPECT_EQ(ok.status, 200) << ok.body;
  }

  std::string org_fingerprint_;
};

TEST_F(MessageContentSecurityTest, MimePartsOverTheLimitAre413OutgoingAndAnErrorIncoming) {
  HttpsClient c = client();
  const std::string wire = many_parts_message(200'000);  // 2 MB
  expect_error(outgoing(c, wire), 413, "limit_exceeded", "mime_parts");
  const json in = incoming(c, wire);
  EXPECT_TRUE(has_error(in, "limit_exceeded", "mime_parts")) << in["errors"].dump();
  expect_error(outgoing(c, deeply_nested_message(100)), 413, "limit_exceeded", "mime_depth");
  expect_still_serving(c);
}

TEST_F(MessageContentSecurityTest, AddressesOverTheLimitAre413) {
  HttpsClient c = client();
  const std::string wire = many_addresses_message(engine::Limits{}.addresses + 1);
  expect_error(outgoing(c, wire), 413, "limit_exceeded", "addresses");
  EXPECT_TRUE(has_error(incoming(c, wire), "limit_exceeded", "addresses"));
  json preflight = {{"from", "support@example.org"}, {"to", json::array()}};
  for (std::size_t i = 0; i <= engine::Limits{}.addresses; ++i) {
    preflight["to"].push_back("r" + std::to_string(i) + "@example.com");
  }
  expect_error(
      c.request("POST", "/api/v1/messages/preflight", preflight.dump(), auth("application/json")),
      413, "limit_exceeded", "addresses");
  expect_still_serving(c);
}

TEST_F(MessageContentSecurityTest, RecipientInfosOverTheLimitAreAnError) {
  HttpsClient c = client();
  const X509Ptr org = org_certificate(c);
  ASSERT_TRUE(org);
  const auto der = envelope_with_copies("Content-Type: text/plain\r\n\r\nx\r\n", org.get(),
                                        engine::Limits{}.recipient_infos + 1, true);
  const json in = incoming(c, with_headers(outer_headers("a@example.com", "support@example.org"),
                                           pkcs7_mime_entity(der, "authEnveloped-data")));
  EXPECT_TRUE(has_error(in, "limit_exceeded", "recipient_infos")) << in["errors"].dump();
  EXPECT_FALSE(in["decrypted"].get<bool>());
  expect_still_serving(c);
}

TEST_F(MessageContentSecurityTest, SigningWithoutExactlyOneSenderIs400) {
  HttpsClient c = client();
  for (const std::string from : {"", "<>", "undisclosed-recipients:;"}) {
    const std::string wire = with_headers("From: " + from + "\r\nTo: a@example.com\r\n",
                                          "Content-Type: text/plain\r\n\r\nx\r\n");
    expect_error(outgoing(c, wire), 400, "invalid_input", "exactly one sender address");
    expect_error(outgoing(c, wire, ""), 400, "invalid_input", "exactly one sender address");
  }
}

TEST_F(MessageContentSecurityTest, TwoFromFieldsAre400) {
  HttpsClient c = client();
  const std::string wire = with_headers(
      "From: support@example.org\r\nFrom: attacker@example.net\r\nTo: a@example.com\r\n",
      "Content-Type: text/plain\r\n\r\nx\r\n");
  expect_error(outgoing(c, wire), 400, "invalid_input", "2 From header fields");
}

TEST_F(MessageContentSecurityTest, OneMegabyteSubjectComesOutFolded) {
  HttpsClient c = client();
  std::string subject;
  while (subject.size() < 1'000'000) subject += "Ticket 4711 is resolved ";
  const std::string wire =
      with_headers("From: support@example.org\r\nTo: a@example.com\r\nSubject: " + subject + "\r\n",
                   "Content-Type: text/plain\r\n\r\nx\r\n");
  HttpResult r = outgoing(c, wire);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_LE(longest_header_line(r.body), 78u);
  const json in = incoming(c, r.body);
  EXPECT_EQ(in["signature"]["status"], "valid") << in.dump().substr(0, 500);
}

TEST_F(MessageContentSecurityTest, SmimeNestingLimitIsNamedInTheAnswer) {
  HttpsClient c = client();
  IssuedCertificate sender = issue_certificate(CertificateSpec::smime("alice@example.com"));
  const std::string wire =
      with_headers(outer_headers("alice@example.com", "support@example.org"),
                   signed_layers("Content-Type: text/plain\r\n\r\nx\r\n", sender.cert.get(),
                                 sender.key.get(), engine::Limits{}.smime_layers + 1));
  const json in = incoming(c, wire);
  EXPECT_TRUE(has_error(in, "limit_exceeded", "smime_layers")) << in["errors"].dump();
}

TEST_F(MessageContentSecurityTest, BinaryInnerEntityIsDecryptedAndVerified) {
  HttpsClient c = client();
  const X509Ptr org = org_certificate(c);
  ASSERT_TRUE(org);
  IssuedCertificate sender = issue_certificate(CertificateSpec::smime("alice@example.com"));
  ASSERT_EQ(c.request("POST", "/api/v1/certificates", pem(sender.cert.get()),
                      auth("application/x-pem-file"))
                .status,
            201);
  std::string text = "Content-Type: text/plain\r\n\r\nsigned inside\r\n";
  std::vector<unsigned char> der;
  for (int i = 0; i < 50; ++i, text += "more\r\n") {
    der = opaque_signed(text, sender.cert.get(), sender.key.get());
    if (std::find(der.begin(), der.end(), '\n') != der.end()) break;
  }
  const std::string inner = pkcs7_mime_entity(der, "signed-data", /*binary=*/true);
  const json in =
      incoming(c, with_headers(outer_headers("alice@example.com", "support@example.org"),
                               pkcs7_mime_entity(enveloped(inner, org.get()), "enveloped-data")));
  EXPECT_TRUE(in["errors"].empty()) << in["errors"].dump();
  EXPECT_TRUE(in["decrypted"].get<bool>());
  EXPECT_EQ(in["signature"]["status"], "valid") << in.dump().substr(0, 500);
}

TEST_F(MessageContentSecurityTest, BrokenBundleGetsASummaryNotAnEchoOfItself) {
  HttpsClient c = client();
  // 4 MB of PEM blocks that are not certificates (an echo per block made 45 MB answers).
  const std::string block =
      "-----BEGIN "
      "CERTIFICATE-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END "
      "CERTIFICATE-----\n";
  std::string bundle;
  while (bundle.size() < 4'000'000) bundle += block;
  const std::size_t blocks = bundle.size() / block.size();
  HttpResult r = c.request("POST", "/api/v1/certificates", bundle, auth("application/x-pem-file"));
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  EXPECT_LT(r.body.size(), 4096u) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find(std::to_string(blocks - 1) + " more"), std::string::npos) << r.body;

  // With one good certificate the rest is one counted failure entry.
  IssuedCertificate good = issue_certificate(CertificateSpec::smime("bob@example.com"));
  HttpResult mixed = c.request("POST", "/api/v1/certificates", pem(good.cert.get()) + bundle,
                               auth("application/x-pem-file"));
  ASSERT_EQ(mixed.status, 201) << mixed.body.substr(0, 300);
  const json report = json::parse(mixed.body);
  ASSERT_EQ(report["errors"].size(), 1u);
  EXPECT_EQ(report["errors"][0]["count"], blocks);
  EXPECT_LT(mixed.body.size(), 4096u);

  // The audit entries of both imports are bounded too.
  HttpResult logs = c.request("GET", "/api/v1/logs?operation=certificate.import", "", auth());
  ASSERT_EQ(logs.status, 200);
  const json entries = json::parse(logs.body)["entries"];
  ASSERT_EQ(entries.size(), 2u);
  for (const json& entry : entries) EXPECT_LE(entry["detail"].get<std::string>().size(), 4200u);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace smime::test
