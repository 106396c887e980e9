#include "support/haproxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"

extern char** environ;

namespace smime::test {

namespace {

constexpr const char* kHaproxy = "/usr/sbin/haproxy";

class Socket {
 public:
  explicit Socket(int domain) : fd_(::socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in loopback(unsigned short port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

bool accepts_connections(unsigned short port) {
  Socket socket(AF_INET);
  const sockaddr_in address = loopback(port);
  return ::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(field);
  return fields;
}

long long number(const std::vector<std::string>& fields, std::size_t index) {
  if (index >= fields.size() || fields[index].empty()) return 0;
  return std::stoll(fields[index]);
}

}  // namespace

unsigned short free_loopback_port() {
  Socket socket(AF_INET);
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (::bind(socket.fd(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot find a free port: " + std::string(std::strerror(errno)));
  }
  return ntohs(address.sin_port);
}

Haproxy::Haproxy(std::filesystem::path directory, std::vector<BalancedNode> nodes)
    : directory_(std::move(directory)), nodes_(std::move(nodes)), port_(free_loopback_port()) {
  std::filesystem::create_directories(directory_);
  write_file((directory_ / "haproxy.cfg").string(), config_text());
}

Haproxy::~Haproxy() {
  stop();
}

std::string Haproxy::config_text() const {
  // The same configuration as the README's "Running several nodes", on the test's ports.
  std::string text =
      "global\n"
      "  maxconn 512\n"
      "  stats socket " +
      (directory_ / "stats.sock").string() +
      " mode 600 level admin\n"
      "defaults\n"
      "  mode tcp\n"
      "  timeout connect 2s\n"
      "  timeout client 60s\n"
      "  timeout server 60s\n"
      "  retries 3\n"
      "  option redispatch 1\n"
      "frontend smime_api\n"
      "  bind 127.0.0.1:" +
      std::to_string(port_) +
      "\n"
      "  default_backend smime_nodes\n"
      "backend smime_nodes\n"
      "  balance roundrobin\n"
      "  option httpchk GET /healthz\n"
      "  http-check expect status 200\n"
      "  default-server check check-ssl verify none inter 300ms fall 2 rise 2\n";
  for (const BalancedNode& node : nodes_) {
    text += "  server " + node.name + " 127.0.0.1:" + std::to_string(node.port) + "\n";
  }
  return text;
}

void Haproxy::start() {
  const std::string config = (directory_ / "haproxy.cfg").string();
  const ProcessResult check = run_process({kHaproxy, "-c", "-q", "-f", config});
  if (check.exit_code != 0) {
    throw std::runtime_error("haproxy -c refused the configuration: " + check.out + check.err);
  }
  const std::string log = (directory_ / "haproxy.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> args = {kHaproxy, "-db", "-f", config};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start haproxy: " + std::string(std::strerror(rc)));
  }
  for (int i = 0; i < 200; ++i) {
    if (accepts_connections(port_) && std::filesystem::exists(directory_ / "stats.sock")) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("haproxy exited: " + read_file(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("haproxy did not start listening: " + read_file(log));
}

void Haproxy::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::map<std::string, NodeStat> Haproxy::stats() const {
  Socket socket(AF_UNIX);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = (directory_ / "stats.sock").string();
  if (path.size() >= sizeof address.sun_path) throw std::runtime_error("stats socket path long");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("cannot reach haproxy's stats socket");
  }
  const std::string command = "show stat\n";
  if (::write(socket.fd(), command.data(), command.size()) < 0) {
    throw std::runtime_error("cannot write to haproxy's stats socket");
  }
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(socket.fd(), buffer, sizeof buffer)) > 0;) text.append(buffer, n);

  std::stringstream lines(text);
  std::string line;
  std::getline(lines, line);  // "# pxname,svname,...": where each column is
  const std::vector<std::string> header = split_csv(line.substr(line.find_first_not_of("# ")));
  auto column = [&](const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    throw std::runtime_error("haproxy's stats have no column " + name);
  };
  const std::size_t proxy = column("pxname"), server = column("svname"), stot = column("stot"),
                    status = column("status"), chkfail = column("chkfail");
  std::map<std::string, NodeStat> result;
  while (std::getline(lines, line)) {
    const std::vector<std::string> fields = split_csv(line);
    if (fields.size() <= chkfail || fields[proxy] != "smime_nodes") continue;
    if (fields[server] == "BACKEND") continue;
    result[fields[server]] = {fields[status], number(fields, stot), number(fields, chkfail)};
  }
  return result;
}

bool Haproxy::wait_for_status(const std::string& name, const std::string& status,
                              int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto all = stats();
    if (auto it = all.find(name); it != all.end() && it->second.status.rfind(status, 0) == 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace smime::test
