#include "support/smimed_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "smime/store/api_token_store.hpp"
#include "smime/store/postgres_store.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/token_server.hpp"

extern char** environ;

namespace smime::test {

SmimedProcess::SmimedProcess(std::filesystem::path home, const std::filesystem::path& token_home,
                             const std::string& server_lines, const std::string& store_url)
    : home_(std::move(home)) {
  std::filesystem::create_directories(home_);
  config_ = "[token]\nmodule = \"" + test_module_path() + "\"\nlabel = \"" +
            std::string(kTestTokenLabel) +
            "\"\npin = \"file:" + (token_home / "user.pin").string() + "\"\nsofthsm_conf = \"" +
            (token_home / "softhsm2.conf").string() + "\"\n[store]\nurl = \"" + store_url + "\"\n";
  server_lines_ = server_lines;
  write_config();
  const auto tokens =
      store_url.empty()
          ? store::open_sqlite_api_token_store(home_ / "smime.db")
          : store::open_postgres_api_token_store(store::open_postgres_database(store_url, 1));
  admin_secret_ = std::string(tokens->create("admin", store::ApiRole::admin).secret.view());
}

SmimedProcess::~SmimedProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void SmimedProcess::write_config() const {
  // Port 0 the first time; a restarted node keeps its port (a load balancer names it).
  write_file((home_ / "smime.toml").string(),
             config_ + "[server]\nport = " + std::to_string(port_) + "\n" + server_lines_ + "\n");
}

unsigned short SmimedProcess::start() {
  write_config();
  const std::string out = (home_ / "smimed.out").string();
  const std::string err = (home_ / "smimed.err").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  // SMIMED_BINARY: another build of smimed (a bench comparing two builds in one run).
  const char* binary = std::getenv("SMIMED_BINARY");
  std::vector<std::string> args = {binary != nullptr ? binary : SMIME_TEST_SMIMED, "--home",
                                   home_.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start smimed");
  const std::string marker = "listening on https://127.0.0.1:";
  for (int i = 0; i < 300; ++i) {
    const std::string text = read_file(out);
    if (auto pos = text.find(marker); pos != std::string::npos) {
      port_ = static_cast<unsigned short>(std::stoi(text.substr(pos + marker.size())));
      return port_;
    }
    if (!running()) throw std::runtime_error("smimed exited: " + stderr_text());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("smimed did not start");
}

bool SmimedProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = 0;
  return false;
}

long SmimedProcess::rss_kib() const {
  if (pid_ <= 0) return 0;
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

std::string SmimedProcess::stderr_text() const {
  return read_file((home_ / "smimed.err").string());
}

void SmimedProcess::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int SmimedProcess::wait_exit(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return exit_status_;
}

}  // namespace smime::test
