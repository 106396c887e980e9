#include "support/token_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace smime::test {

bool remote_token_mode() {
  const char* mode = std::getenv("SMIME_TEST_TOKEN");
  return mode != nullptr && std::strcmp(mode, "remote") == 0;
}

std::string test_module_path() {
  return remote_token_mode() ? kP11KitClientModule : SMIME_TEST_SOFTHSM_MODULE;
}

TokenServer::TokenServer(std::filesystem::path socket, std::filesystem::path softhsm_conf,
                         std::string label)
    : socket_(std::move(socket)),
      softhsm_conf_(std::move(softhsm_conf)),
      label_(std::move(label)) {}

TokenServer::~TokenServer() {
  stop();
}

void TokenServer::start() {
  if (pid_ > 0) return;
  std::error_code ec;
  std::filesystem::remove(socket_, ec);  // a killed server leaves its socket behind
  std::vector<std::string> args = {"p11-kit",
                                   "server",
                                   "--foreground",
                                   "--name",
                                   socket_.string(),
                                   "--provider",
                                   SMIME_TEST_SOFTHSM_MODULE,
                                   "pkcs11:token=" + label_};
  std::vector<std::string> env_storage = {"SOFTHSM2_CONF=" + softhsm_conf_.string()};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "SOFTHSM2_CONF=", 14) != 0) env_storage.emplace_back(*e);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  // A group of its own: the server forks a process per client connection, and kill() must
  // take those down too, as a vanished HSM does.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const int rc = posix_spawnp(&pid_, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start p11-kit server: " + std::string(std::strerror(rc)));
  }
  for (int i = 0; i < 500; ++i) {
    if (std::filesystem::exists(socket_)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("p11-kit server exited at start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill();
  throw std::runtime_error("p11-kit server did not create " + socket_.string());
}

void TokenServer::kill() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void TokenServer::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace smime::test
