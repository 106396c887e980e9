// The smimed binary: first start creates its TLS certificate, it prints the bound port, and
// SIGTERM stops it gracefully: no new connections, idle ones closed, a request in flight is
// still answered, exit code 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "https_client.hpp"
#include "smime/store/api_token_store.hpp"
#include "support/softhsm_fixture.hpp"

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
               "[token]\nmodule = \"" SMIME_TEST_SOFTHSM_MODULE "\"\nlabel = \"" +
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

}  // namespace
}  // namespace smime::test
