#include "postgres_backup.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/common/files.hpp"
#include "smime/common/handles.hpp"

extern char** environ;

namespace smime::store::pg {

namespace {

constexpr const char* kDebianPgDump = "/usr/lib/postgresql/15/bin/pg_dump";
constexpr std::size_t kMaxMessage = 4096;  // of pg_dump's stderr, for the Error

using ConninfoPtr = std::unique_ptr<PQconninfoOption, FreeWith<PQconninfoFree>>;

struct DumpTarget {
  std::string conninfo;  // keyword='value' pairs, without the password
  std::string password;  // "" when the URL has none
};

std::string quoted(const char* value) {
  std::string out = "'";
  for (const char* c = value; *c != '\0'; ++c) {
    if (*c == '\'' || *c == '\\') out += '\\';
    out += *c;
  }
  return out + "'";
}

DumpTarget dump_target(const std::string& url) {
  char* raw_error = nullptr;
  ConninfoPtr options(PQconninfoParse(url.c_str(), &raw_error));
  std::unique_ptr<char, FreeWith<PQfreemem>> error(raw_error);
  if (!options) {
    throw Error(ErrorCode::invalid_input,
                std::string("Not a PostgreSQL URL: ") + (error ? error.get() : "out of memory"));
  }
  DumpTarget target;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    if (std::strcmp(option->keyword, "password") == 0) {
      target.password = option->val;
      continue;
    }
    if (!target.conninfo.empty()) target.conninfo += ' ';
    target.conninfo += std::string(option->keyword) + "=" + quoted(option->val);
  }
  return target;
}

// pg_dump's exit status and what it wrote to stderr.
std::pair<int, std::string> run_pg_dump(const std::filesystem::path& program,
                                        std::vector<std::string> args,
                                        const std::string& password) {
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "PGPASSWORD=", 11) != 0) env_storage.emplace_back(*e);
  }
  if (!password.empty()) env_storage.push_back("PGPASSWORD=" + password);
  std::vector<char*> envp;
  envp.reserve(env_storage.size() + 1);
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(ErrorCode::io, "Cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  std::string message;
  if (rc == 0) {
    char buffer[512];
    ssize_t got = 0;
    while ((got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0 || (got < 0 && errno == EINTR)) {
      if (got > 0 && message.size() < kMaxMessage) message.append(buffer, got);
    }
  }
  ::close(pipe_fds[0]);
  if (rc != 0) {
    throw Error(ErrorCode::io, "Cannot run " + program.string() + ": " + std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return {exit_code, message};
}

}  // namespace

std::filesystem::path find_pg_dump() {
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      std::filesystem::path candidate =
          std::filesystem::path(std::string(rest.substr(0, colon))) / "pg_dump";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  if (::access(kDebianPgDump, X_OK) == 0) return kDebianPgDump;
  throw Error(ErrorCode::not_found,
              std::string("Cannot back up the PostgreSQL database: no pg_dump in PATH or at ") +
                  kDebianPgDump + " (Debian package postgresql-client-15)");
}

void dump_database(const std::string& url, const std::filesystem::path& destination) {
  const DumpTarget target = dump_target(url);
  const std::filesystem::path program = find_pg_dump();
  // Created by us first, so that it has 0600 and an existing file is refused; pg_dump then
  // writes into it.
  create_file(destination, /*exclusive=*/true);
  try {
    const auto [exit_code, message] =
        run_pg_dump(program,
                    {"pg_dump", "--format=custom", "--file=" + destination.string(),
                     "--dbname=" + target.conninfo},
                    target.password);
    if (exit_code != 0) {
      throw Error(ErrorCode::io, "pg_dump failed to back up the database to " +
                                     destination.string() + " (exit " + std::to_string(exit_code) +
                                     "): " + message);
    }
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(destination, ec);
    throw;
  }
}

}  // namespace smime::store::pg
