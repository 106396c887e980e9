// HAProxy (Debian's /usr/sbin/haproxy) in front of several smimed nodes on loopback, as the
// README's "Running several nodes" configures it: TLS passes through to the nodes (each has
// its own certificate), /healthz decides which nodes take new connections, and a connection
// refused by a dead node is dispatched to another one. Started in the foreground in a
// directory of the test's, stopped with the test.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace smime::test {

struct BalancedNode {
  std::string name;  // HAProxy's server name ("a", "b")
  unsigned short port = 0;
};

// One server's line of HAProxy's `show stat`.
struct NodeStat {
  std::string status;         // "UP", "DOWN", "UP 1/2", ...
  long long sessions = 0;     // connections it was given (stot)
  long long check_fails = 0;  // failed health checks (chkfail)
};

class Haproxy {
 public:
  // Writes <directory>/haproxy.cfg for the nodes; a free loopback port is chosen for the
  // front end.
  Haproxy(std::filesystem::path directory, std::vector<BalancedNode> nodes);
  ~Haproxy();
  Haproxy(const Haproxy&) = delete;
  Haproxy& operator=(const Haproxy&) = delete;

  // Checks the configuration (haproxy -c), starts it and waits until the front end accepts
  // connections. Throws std::runtime_error when it does not start.
  void start();
  void stop();
  unsigned short port() const { return port_; }
  std::string config_text() const;

  // The backend's servers by name, from the stats socket.
  std::map<std::string, NodeStat> stats() const;
  // Waits until `name` has the status (first word of it) `status`; false after the timeout.
  bool wait_for_status(const std::string& name, const std::string& status, int timeout_ms) const;

 private:
  std::filesystem::path directory_;
  std::vector<BalancedNode> nodes_;
  unsigned short port_ = 0;
  pid_t pid_ = -1;
};

// A loopback TCP port nobody listens on right now (bound to port 0, then released).
unsigned short free_loopback_port();

}  // namespace smime::test
