// A real PostgreSQL 15 server for the tests: initdb in a fresh temp directory, listening only
// on a Unix socket there (no TCP port, so parallel test processes never collide), started on
// first use and stopped (pg_ctl stop -m fast, directory removed) when the test process exits.
// initdb refuses to run as root: then the server runs as the `postgres` user of Debian's
// package (or `nobody`), which owns the directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace smime::test {

inline constexpr const char* kPostgresBin = "/usr/lib/postgresql/15/bin";

class PostgresServer {
 public:
  // initdb and start; throws std::runtime_error with the server's log when it fails.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // pg_ctl start -w / stop -m fast -w on the same data directory: a restarted server, for
  // recovery tests.
  void start();
  void stop();
  bool running() const noexcept { return running_; }

  // libpq URL of `database` on this server.
  std::string url(const std::string& database) const;
  // CREATE DATABASE of a new name; its URL. Each test takes one, so tests are independent.
  std::string fresh_database_url();

 private:
  // argv run as the server's user (through setpriv when this process is root).
  int run_as_server_user(const std::vector<std::string>& argv, std::string* output = nullptr);

  std::filesystem::path dir_;  // socket, data/, server.log
  unsigned uid_ = 0;
  unsigned gid_ = 0;
  bool as_other_user_ = false;
  bool running_ = false;
  int databases_ = 0;
};

// The process-wide server, started on first use.
PostgresServer& postgres_server();
// postgres_server().fresh_database_url()
std::string fresh_database_url();

}  // namespace smime::test
