// Items 5 and 6 of issue 11: /healthz waited behind message work (8.4 s with two messages in
// flight). With the only worker held inside the token (the fault-injecting module holds
// C_SignInit until the test lets it go), health is still answered, from its own lane.
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.hpp"
#include "store_check.hpp"
#include "support/faulty_module.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

class HealthLaneTest : public ServerTest {
 protected:
  void configure(AppConfig& config, server::ServerSettings& settings) override {
    home();  // the SoftHSM token exists before the wrapper loads SoftHSM
    config.token.module = SMIME_TEST_FAULTY_MODULE;
    settings.worker_threads = 1;
    settings.tls_key = "file";  // TLS handshakes must not sign in the held token
  }
  void TearDown() override {
    control_.release();
    ServerTest::TearDown();
    expect_store_intact(scratch_.path() / "home");
  }
  FaultyModule control_;
};

TEST_F(HealthLaneTest, HealthIsAnsweredWhileEveryWorkerIsBusy) {
  generate_org_key("support@example.org");
  ASSERT_EQ(client()
                .request("PUT", "/api/v1/groups/support",
                         json{{"email", "support@example.org"}, {"default", "sign"}}.dump(),
                         auth("application/json"))
                .status,
            201);
  control_.hold("C_SignInit");
  const std::string mail =
      "From: support@example.org\r\nTo: c@example.com\r\nSubject: s\r\n\r\nhello\r\n";
  auto signing = std::async(std::launch::async, [&] {
    return client().request("POST", "/api/v1/messages/outgoing", mail, auth("message/rfc822"));
  });
  // The only worker is now inside the token, waiting.
  while (control_.waiting() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // A second message queues behind it.
  auto queued = std::async(std::launch::async, [&] {
    return client().request("POST", "/api/v1/messages/outgoing", mail, auth("message/rfc822"));
  });

  for (int i = 0; i < 3; ++i) {
    HttpResult health = client().request("GET", "/healthz");
    EXPECT_EQ(health.status, 200) << health.body;
    HttpResult detailed = client().request("GET", "/healthz", "", auth());
    EXPECT_EQ(detailed.status, 200) << detailed.body;
  }
  EXPECT_EQ(control_.waiting(), 1u) << "the message was answered before health was asked";
  EXPECT_EQ(signing.wait_for(std::chrono::seconds(0)), std::future_status::timeout);

  control_.release();
  EXPECT_EQ(signing.get().status, 200);
  EXPECT_EQ(queued.get().status, 200);
}

// Issue 13, item 3: a token that does not answer (held inside C_SignInit) gets the request a
// 503 after token_timeout_s, while the I/O thread goes on answering; the token's late answer
// is dropped and the next request is served normally.
class TokenTimeoutTest : public HealthLaneTest {
 protected:
  void configure(AppConfig& config, server::ServerSettings& settings) override {
    HealthLaneTest::configure(config, settings);
    settings.token_timeout_s = 1;
  }
};

TEST_F(TokenTimeoutTest, AStuckTokenGets503AfterTheTimeoutAndTheIoThreadStaysFree) {
  generate_org_key("support@example.org");
  const std::string mail =
      "From: support@example.org\r\nTo: c@example.com\r\nSubject: s\r\n\r\nhello\r\n";
  const std::string sign = "/api/v1/messages/outgoing?sign=true&encrypt=false";
  control_.hold("C_SignInit");
  auto stuck = std::async(std::launch::async, [&] {
    return client().request("POST", sign, mail, auth("message/rfc822"));
  });
  while (control_.waiting() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // The only worker is inside the token: the I/O thread still answers (health on its lane).
  EXPECT_EQ(client().request("GET", "/healthz").status, 200);

  HttpResult answered = stuck.get();  // after about token_timeout_s, not when the token answers
  EXPECT_EQ(answered.status, 503) << answered.body;
  EXPECT_NE(answered.body.find("token_timeout"), std::string::npos) << answered.body;
  EXPECT_EQ(control_.waiting(), 1u) << "answered while the token still held the call";

  control_.release();
  EXPECT_EQ(client().request("POST", sign, mail, auth("message/rfc822")).status, 200);
}

}  // namespace
}  // namespace smime::test
