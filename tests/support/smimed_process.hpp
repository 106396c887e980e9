// smimed as a child process on the test's SoftHSM2 token: started with a home directory of
// its own, its port read from its "listening on" line, stopped with SIGKILL at the end unless
// the test stopped it. For what only a separate process shows: its exit status, its memory,
// what it logs and how it answers signals.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>

namespace smime::test {

class SmimedProcess {
 public:
  // Writes <home>/smime.toml for the token in token_home (SoftHsmTest::home()) with
  // `server_lines` added to its [server] table, and creates an admin API token. With a
  // `store_url`, the store is that PostgreSQL database ([store] url) instead of
  // <home>/smime.db.
  SmimedProcess(std::filesystem::path home, const std::filesystem::path& token_home,
                const std::string& server_lines = {}, const std::string& store_url = {});
  ~SmimedProcess();
  SmimedProcess(const SmimedProcess&) = delete;
  SmimedProcess& operator=(const SmimedProcess&) = delete;

  // Starts smimed and waits for its port; throws std::runtime_error if it does not start.
  // Started again (after a kill), it listens on the port it had.
  unsigned short start();
  unsigned short port() const { return port_; }
  const std::string& admin_secret() const { return admin_secret_; }
  const std::filesystem::path& home() const { return home_; }
  pid_t pid() const { return pid_; }
  // The [server] lines the next start() writes (a restart with other settings).
  void set_server_lines(std::string lines) { server_lines_ = std::move(lines); }

  // Still running (not exited, not killed).
  bool running();
  // Resident memory in KiB (VmRSS), 0 when it is not running.
  long rss_kib() const;
  std::string stderr_text() const;
  void signal(int sig) const;
  // The exit status (128 + signal for a signal), or -1 when it is still running after timeout.
  int wait_exit(std::chrono::seconds timeout);

 private:
  void write_config() const;

  std::filesystem::path home_;
  std::string config_;        // smime.toml without its [server] table
  std::string server_lines_;  // the test's lines of [server]
  std::string admin_secret_;
  pid_t pid_ = 0;
  unsigned short port_ = 0;
  int exit_status_ = -1;
};

}  // namespace smime::test
