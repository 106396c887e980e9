// Items 5 and 6 of issue 11: /healthz waited behind message work (8.4 s with two messages in
// flight). With the only worker held inside the token (the fault-injecting module holds
// C_SignInit until the test lets it go), health is still answered, from its own lane.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.hpp"
#include "store_check.hpp"
#include "support/faulty_pkcs11_control.h"

namespace smime::test {
namespace {

using nlohmann::json;

struct HoldControl {
  decltype(&faulty_hold) hold;
  decltype(&faulty_waiting) waiting;
  decltype(&faulty_release) release;

  HoldControl() {
    void* handle = dlopen(SMIME_TEST_FAULTY_MODULE, RTLD_NOW);
    if (handle == nullptr) throw std::runtime_error(dlerror());
    hold = reinterpret_cast<decltype(hold)>(dlsym(handle, "faulty_hold"));
    waiting = reinterpret_cast<decltype(waiting)>(dlsym(handle, "faulty_waiting"));
    release = reinterpret_cast<decltype(release)>(dlsym(handle, "faulty_release"));
  }
};

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
  HoldControl control_;
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

}  // namespace
}  // namespace smime::test
