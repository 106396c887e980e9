// The smimed binary: first start creates its TLS certificate, it prints the bound port, and
// SIGTERM stops it gracefully: no new connections, idle ones closed, a request in flight is
// still answered, exit code 0; under message load no acknowledged request loses its audit
// entry.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "https_client.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/store/api_token_store.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/token_server.hpp"

extern char** environ;

namespace smime::test {
namespace {

using nlohmann::json;

class SmimedProcessTest : public SoftHsmTest {
 protected:
  void SetUp() override {
    home_ = scratch_.path() / "home";
    std::filesystem::create_directories(home_);
    write_file((home_ / "smime.toml").string(),
               "[token]\nmodule = \"" + test_module_path() + "\"\nlabel = \"" +
                   std::string(kTestTokenLabel) +
                   "\"\npin = \"file:" + (home() / "user.pin").string() + "\"\nsofthsm_conf = \"" +
                   (home() / "softhsm2.conf").string() +
                   "\"\n[server]\nport = 0\nworker_threads = 2\nshutdown_grace_s = 60\n");
    admin_ = std::string(store::open_sqlite_api_token_store(home_ / "smime.db")
                             ->create("admin", store::ApiRole::admin)
                             .secret.view());
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  // Starts smimed and waits for its "listening on" line; returns the port.
  unsigned short start() {
    out_ = scratch_.file("smimed.out");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, scratch_.file("smimed.err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> args = {SMIME_TEST_SMIMED, "--home", home_.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start smimed");
    const std::string marker = "listening on https://127.0.0.1:";
    for (int i = 0; i < 300; ++i) {
      const std::string out = read_file(out_);
      if (auto pos = out.find(marker); pos != std::string::npos) {
        return static_cast<unsigned short>(std::stoi(out.substr(pos + marker.size())));
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        throw std::runtime_error("smimed exited: " + read_file(scratch_.file("smimed.err")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("smimed did not start");
  }

  int wait_exit() {
    int status = 0;
    for (int i = 0; i < 600; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }

  std::filesystem::path home_;
  std::string out_;
  std::string admin_;
  pid_t pid_ = 0;
};

TEST_F(SmimedProcessTest, SigtermFinishesInFlightRequestsThenExitsZero) {
  const unsigned short port = start();
  EXPECT_TRUE(std::filesystem::exists(home_ / "smimed-tls.pem"));

  HttpsClient idle(port);
  EXPECT_EQ(idle.request("GET", "/healthz").status, 200);

  // A slow request (RSA-4096 generation in the token) is in flight when SIGTERM arrives.
  auto in_flight = std::async(std::launch::async, [&] {
    HttpsClient busy(port);
    return busy.request(
        "POST", "/api/v1/keys", json{{"algorithm", "rsa-4096"}, {"label", "slow"}}.dump(),
        {{"Authorization", "Bearer " + admin_}, {"Content-Type", "application/json"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // The idle keep-alive connection is closed and no new connection is accepted.
  EXPECT_TRUE(idle.server_closed());
  if (in_flight.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    EXPECT_THROW(HttpsClient{port}, std::runtime_error);
  }

  HttpResult answer = in_flight.get();
  EXPECT_EQ(answer.status, 201) << answer.body;
  EXPECT_FALSE(answer.keep_alive) << "the server is stopping";
  EXPECT_EQ(wait_exit(), 0) << read_file(scratch_.file("smimed.err"));
  EXPECT_NE(read_file(out_).find("smimed: stopped"), std::string::npos);
}

TEST_F(SmimedProcessTest, SecondStartReusesTheTlsCertificate) {
  start();
  const std::string first = read_file((home_ / "smimed-tls.pem").string());
  ::kill(pid_, SIGTERM);
  EXPECT_EQ(wait_exit(), 0);
  const unsigned short port = start();
  EXPECT_EQ(read_file((home_ / "smimed-tls.pem").string()), first);
  HttpsClient c(port);
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  ::kill(pid_, SIGINT);
  EXPECT_EQ(wait_exit(), 0);
}

TEST_F(SmimedProcessTest, SigtermUnderLoadLosesNoAcknowledgedRequestNorAuditEntry) {
  const unsigned short port = start();
  const std::map<std::string, std::string> json_auth = {{"Authorization", "Bearer " + admin_},
                                                        {"Content-Type", "application/json"}};
  {
    HttpsClient c(port);
    HttpResult key = c.request("POST", "/api/v1/keys",
                               json{{"algorithm", "ec-p256"},
                                    {"label", "support"},
                                    {"emails", {"support@example.org"}},
                                    {"self_signed", true}}
                                   .dump(),
                               json_auth);
    ASSERT_EQ(key.status, 201) << key.body;
  }

  // Eight clients sign as fast as they can; each remembers the Message-IDs acknowledged 200.
  constexpr int kClients = 8;
  std::vector<std::vector<std::string>> acknowledged(kClients);
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        try {
          HttpsClient c(port);
          for (;; ++i) {
            const std::string id = "term-" + std::to_string(t) + "-" + std::to_string(i);
            HttpResult r = c.request(
                "POST", "/api/v1/messages/outgoing?sign=true",
                "From: support@example.org\r\nTo: bob@example.net\r\nMessage-ID: <" + id +
                    "@example.org>\r\nSubject: load\r\n\r\nbody " + id + "\r\n",
                {{"Authorization", "Bearer " + admin_}, {"Content-Type", "message/rfc822"}});
            if (r.status != 200) return;  // the server is stopping
            acknowledged[t].push_back(id + "@example.org");
            ++answered;
            if (!r.keep_alive) break;  // closed after this answer: reconnect (and be refused)
          }
        } catch (const std::exception&) {
          return;  // connection refused or reset: the server is gone
        }
      }
    });
  }
  for (int i = 0; i < 100 && answered.load() < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  for (auto& c : clients) c.join();
  EXPECT_EQ(wait_exit(), 0) << read_file(scratch_.file("smimed.err"));

  std::set<std::string> expected;
  for (const auto& ids : acknowledged) expected.insert(ids.begin(), ids.end());
  ASSERT_GE(expected.size(), 40u) << "the load did not get going";

  audit::AuditLog log(home_ / "smime.db");
  EXPECT_TRUE(log.verify().intact);
  audit::AuditQuery query;
  query.direction = audit::Direction::outgoing;
  query.limit = audit::kMaxListLimit;
  std::set<std::string> recorded;
  for (const audit::AuditEntry& e : log.list(query)) {
    if (e.event.status == audit::Status::ok) recorded.insert(e.event.message_id);
  }
  for (const std::string& id : expected) {
    EXPECT_TRUE(recorded.count(id)) << id << " was acknowledged but has no audit entry";
  }
}

}  // namespace
}  // namespace smime::test
