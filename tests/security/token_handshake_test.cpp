// Issue 13, item 3: with the TLS key in the token, a handshake's signature waited for the
// token on the only I/O thread, so every connection stalled behind a slow token. Now each
// handshake step runs on the worker pool: while a handshake is held inside the token (the
// fault-injecting module holds C_SignInit), an open connection is still answered.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "server_fixture.hpp"
#include "store_check.hpp"
#include "support/faulty_module.hpp"

namespace smime::test {
namespace {

using namespace std::chrono_literals;

class TokenHandshakeTest : public ServerTest {
 protected:
  void configure(AppConfig& config, server::ServerSettings& settings) override {
    home();  // the SoftHSM token exists before the wrapper loads SoftHSM
    config.token.module = SMIME_TEST_FAULTY_MODULE;
    settings.tls_key = "token";
    settings.io_threads = 1;
    settings.handshake_timeout_s = 2;
  }
  void TearDown() override {
    control_.release();
    ServerTest::TearDown();
    expect_store_intact(scratch_.path() / "home");
  }
  // Waits until a call is held in the token; false after 20 s (no signature was asked for).
  bool wait_until_held() {
    for (auto waited = 0ms; waited < 20s; waited += 10ms) {
      if (control_.waiting() > 0) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  std::future<std::unique_ptr<HttpsClient>> connect_in_background() {
    return std::async(std::launch::async, [port = port_] {
      return std::make_unique<HttpsClient>(port, ClientOptions(TLS1_2_VERSION, 0, {}, 10));
    });
  }
  FaultyModule control_;
};

TEST_F(TokenHandshakeTest, AHandshakeWaitingInTheTokenHoldsNoIoThread) {
  HttpsClient open = client(ClientOptions(TLS1_2_VERSION, 0, {}, 10));  // signed before the hold
  ASSERT_EQ(open.request("GET", "/healthz").status, 200);

  control_.hold("C_SignInit");
  auto connecting = connect_in_background();
  ASSERT_TRUE(wait_until_held()) << "the new connection's handshake did not sign in the token";

  // The only I/O thread is free: the open connection is answered (before: a read timeout).
  EXPECT_EQ(open.request("GET", "/healthz").status, 200);
  EXPECT_EQ(open.request("GET", "/healthz", "", auth()).status, 200);
  EXPECT_EQ(control_.waiting(), 1u);
  EXPECT_EQ(connecting.wait_for(0s), std::future_status::timeout) << "handshake done unsigned";

  control_.release();
  std::unique_ptr<HttpsClient> fresh = connecting.get();
  EXPECT_EQ(fresh->request("GET", "/healthz").status, 200);
  EXPECT_EQ(open.request("GET", "/healthz").status, 200);
}

TEST_F(TokenHandshakeTest, AHandshakeHeldInTheTokenPastTheTimeoutIsClosedOnTime) {
  control_.hold("C_SignInit");
  auto connecting = std::async(std::launch::async, [port = port_] {
    return std::make_unique<HttpsClient>(port, ClientOptions(TLS1_2_VERSION, 0, {}, 120));
  });
  ASSERT_TRUE(wait_until_held());
  // handshake_timeout_s (2) ends it while the token still holds the signature (before: the
  // I/O thread waited in the token, so nothing closed it until the token answered).
  const bool ended = connecting.wait_for(60s) == std::future_status::ready;
  EXPECT_TRUE(ended) << "the connection stayed open while its signature waited in the token";
  EXPECT_EQ(control_.waiting(), 1u) << "the token answered before the connection was closed";
  control_.release();
  EXPECT_THROW(connecting.get(), std::runtime_error);

  // The late signature is dropped with its connection; the next handshake works.
  HttpsClient next = client();
  EXPECT_EQ(next.request("GET", "/healthz").status, 200);
}

TEST_F(TokenHandshakeTest, HandshakesFromManyClientsAtOnceAllComplete) {
  // Many handshakes interleaved on the worker pool and one I/O thread, each answered.
  std::vector<std::future<int>> clients;
  for (int i = 0; i < 24; ++i) {
    clients.push_back(std::async(std::launch::async, [port = port_] {
      HttpsClient c(port);
      return c.request("GET", "/healthz").status;
    }));
  }
  for (auto& c : clients) EXPECT_EQ(c.get(), 200);
  EXPECT_GE(control_.call_count("C_Sign"), 24u);
}

}  // namespace
}  // namespace smime::test
