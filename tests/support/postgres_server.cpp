#include "support/postgres_server.hpp"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "smime/postgres/connection.hpp"
#include "support/process.hpp"

namespace smime::test {

namespace {

constexpr const char* kSuperuser = "smime";
constexpr int kPort = 5432;  // names the socket file only: there is no TCP listener

std::string bin(const char* program) {
  return std::string(kPostgresBin) + "/" + program;
}

// The account to run the server as when this process is root.
const passwd* server_account() {
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* account = ::getpwnam(name)) return account;
  }
  throw std::runtime_error("running as root and there is no postgres or nobody user for initdb");
}

}  // namespace

PostgresServer::PostgresServer() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "smime-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (::geteuid() == 0) {
    const passwd* account = server_account();
    uid_ = account->pw_uid;
    gid_ = account->pw_gid;
    as_other_user_ = true;
    if (::chown(dir_.c_str(), uid_, gid_) != 0) throw std::runtime_error("cannot chown " + tmpl);
  }
  std::string output;
  // --no-sync and fsync=off (in start()): the tests need no durability against power loss.
  const int rc = run_as_server_user({bin("initdb"), "--pgdata=" + (dir_ / "data").string(),
                                     "--username=" + std::string(kSuperuser), "--auth=trust",
                                     "--no-locale", "--encoding=UTF8", "--no-sync"},
                                    &output);
  if (rc != 0) throw std::runtime_error("initdb failed: " + output);
  start();
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (...) {  // the directory goes anyway
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

int PostgresServer::run_as_server_user(const std::vector<std::string>& argv, std::string* output) {
  std::vector<std::string> command;
  if (as_other_user_) {
    command = {"setpriv", "--reuid=" + std::to_string(uid_), "--regid=" + std::to_string(gid_),
               "--init-groups"};
  }
  command.insert(command.end(), argv.begin(), argv.end());
  const ProcessResult result = run_process(command);
  if (output != nullptr) *output = result.out + result.err;
  return result.exit_code;
}

void PostgresServer::start() {
  if (running_) return;
  const std::string options = "-c listen_addresses='' -k " + dir_.string() + " -p " +
                              std::to_string(kPort) +
                              " -c fsync=off -c max_connections=100 -c shared_buffers=16MB";
  std::string output;
  const int rc = run_as_server_user(
      {bin("pg_ctl"), "start", "--wait", "--timeout=60", "--pgdata=" + (dir_ / "data").string(),
       "--log=" + (dir_ / "server.log").string(), "-o", options},
      &output);
  if (rc != 0) {
    throw std::runtime_error("pg_ctl start failed: " + output +
                             read_file((dir_ / "server.log").string()));
  }
  running_ = true;
}

void PostgresServer::stop() {
  if (!running_) return;
  std::string output;
  const int rc = run_as_server_user(
      {bin("pg_ctl"), "stop", "--wait", "--mode=fast", "--pgdata=" + (dir_ / "data").string()},
      &output);
  if (rc != 0) throw std::runtime_error("pg_ctl stop failed: " + output);
  running_ = false;
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql:///" + database + "?host=" + dir_.string() + "&port=" + std::to_string(kPort) +
         "&user=" + kSuperuser;
}

std::string PostgresServer::fresh_database_url() {
  const std::string name = "test_" + std::to_string(++databases_);
  postgres::Connection admin = postgres::Connection::open(url("postgres"));
  admin.exec("CREATE DATABASE " + name);
  return url(name);
}

PostgresServer& postgres_server() {
  // Destroyed at exit (static storage): the server stops with the test process. A forked child
  // that ends with _exit() leaves it alone.
  static PostgresServer server;
  return server;
}

std::string fresh_database_url() {
  return postgres_server().fresh_database_url();
}

}  // namespace smime::test
