// smimed with its keys behind `p11-kit server` (a network HSM as the appliance meets one): the
// server killed under signing load gives 503 with a clear message and an unhealthy /healthz
// while it is gone, and smimed recovers by itself (new connection, login, sessions, key
// handles) once the server is back. In local mode the test serves the dev token itself; in
// remote mode it uses the run's shared server.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "server_fixture.hpp"
#include "support/token_server.hpp"

namespace smime::test {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kMessage =
    "From: support@example.org\r\nTo: bob@example.net\r\nSubject: remote\r\n"
    "Message-ID: <remote@example.org>\r\nContent-Type: text/plain\r\n\r\nSigned far away.\r\n";

TokenServer& token_server() {
  if (TokenServer* shared = shared_token_server()) return *shared;
  static TokenServer own(softhsm_home().parent_path() / "own-p11-kit.sock",
                         softhsm_home() / "softhsm2.conf", kTestTokenLabel);
  if (!own.running()) {
    own.start();
    ::setenv("P11_KIT_SERVER_ADDRESS", own.address().c_str(), 1);  // before the module loads
  }
  return own;
}

class RemoteTokenTest : public ServerTest {
 protected:
  void SetUp() override {
    token_server();
    ServerTest::SetUp();
  }
  void configure(AppConfig& config, server::ServerSettings& settings) override {
    config.token.module = kP11KitClientModule;
    config.token.reinit_interval_ms = 100;
    settings.worker_threads = 2;
    settings.tls_key = "file";  // this test is about the org key; the TLS key has its own
    // A call in flight when the server is killed may never be answered (its per-connection
    // child can outlive it): smimed's 503 after this bound must come well before the test
    // client's own 30 s read timeout.
    settings.token_timeout_s = 5;
  }

  HttpResult sign(HttpsClient& c) {
    return c.request("POST", "/api/v1/messages/outgoing?sign=true&encrypt=false", kMessage,
                     auth("message/rfc822"));
  }

  // Polls until `done` or the bound; the bound only ends a broken run.
  template <class Pred>
  static bool eventually(Pred done, std::chrono::seconds bound = std::chrono::seconds(30)) {
    const auto end = Clock::now() + bound;
    while (Clock::now() < end) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }
};

struct Tally {
  std::atomic<long> ok{0};
  std::atomic<long> unavailable{0};
  std::mutex mutex;
  std::vector<std::string> unexpected;  // anything but 200 and 503
  std::string last_503;
};

TEST_F(RemoteTokenTest, ServerKilledUnderLoadGives503AndSmimedRecoversWhenItIsBack) {
  generate_org_key("support@example.org");
  HttpsClient probe = client();
  ASSERT_EQ(sign(probe).status, 200);

  Tally tally;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  struct Joiner {  // a failed ASSERT must not leave running threads behind
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{stop, clients};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      HttpsClient c = client();
      while (!stop) {
        HttpResult r = sign(c);
        if (r.status == 200) {
          ++tally.ok;
        } else if (r.status == 503) {
          ++tally.unavailable;
          std::lock_guard lock(tally.mutex);
          tally.last_503 = r.body;
        } else {
          std::lock_guard lock(tally.mutex);
          tally.unexpected.push_back(std::to_string(r.status) + " " + r.body);
        }
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return tally.ok >= 20; }));
  token_server().kill();
  ASSERT_TRUE(eventually([&] { return tally.unavailable >= 10; }));

  // While it is gone: /healthz says so, to a balancer (503) and to an admin (why).
  HttpResult health = probe.request("GET", "/healthz", "", auth());
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_NE(health.body.find("token"), std::string::npos) << health.body;

  token_server().start();
  const long ok_before = tally.ok;
  ASSERT_TRUE(eventually([&] { return tally.ok >= ok_before + 20; }))
      << "smimed did not recover; last 503: " << tally.last_503;
  stop = true;
  for (auto& t : clients) t.join();

  std::lock_guard lock(tally.mutex);
  EXPECT_TRUE(tally.unexpected.empty()) << tally.unexpected.front();
  ASSERT_FALSE(tally.last_503.empty());
  const auto body = nlohmann::json::parse(tally.last_503);
  const std::string message = body["error"]["message"];
  EXPECT_NE(message.find("CKR_"), std::string::npos) << message;  // the PKCS#11 code, named
  // /healthz probes the token at most once a second: it turns healthy within that.
  EXPECT_TRUE(eventually([&] { return probe.request("GET", "/healthz", "", auth()).status == 200; },
                         std::chrono::seconds(5)));
  EXPECT_EQ(sign(probe).status, 200);
}

// The TLS key in the token: while the HSM is gone no handshake can be signed (the connection
// fails, and smimed logs why); once it is back, new connections work again without a restart.
class RemoteTlsKeyTest : public RemoteTokenTest {
 protected:
  void configure(AppConfig& config, server::ServerSettings& settings) override {
    RemoteTokenTest::configure(config, settings);
    settings.tls_key = "token";
  }
  static bool handshake_works(unsigned short port) {
    try {
      HttpsClient c(port);
      return c.request("GET", "/healthz").status != 0;
    } catch (const std::exception&) {
      return false;
    }
  }
};

TEST_F(RemoteTlsKeyTest, HandshakesFailWhileTheHsmIsGoneAndWorkAgainWhenItIsBack) {
  ASSERT_TRUE(handshake_works(port_));
  token_server().kill();
  EXPECT_TRUE(eventually([&] { return !handshake_works(port_); }, std::chrono::seconds(10)));
  token_server().start();
  EXPECT_TRUE(eventually([&] { return handshake_works(port_); }))
      << "new TLS connections stay broken after the HSM came back";
  HttpsClient c = client();
  EXPECT_EQ(c.request("GET", "/healthz", "", auth()).status, 200);
}

}  // namespace
}  // namespace smime::test
