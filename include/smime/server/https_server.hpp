// smimed's HTTPS front end (Boost.Beast/Asio, OpenSSL): TLS 1.2+ only, keep-alive, request
// limits and timeouts, a connection cap, and a worker pool that runs every request handler
// (token and database work) so the I/O threads only do TLS and HTTP parsing. stop() (or
// SIGTERM/SIGINT) is graceful: no new connections, idle ones are closed, requests already
// received are answered, then run() returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "smime/server/http.hpp"
#include "smime/server/tls_identity.hpp"

namespace smime::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8443;  // 0: ephemeral
  std::size_t body_limit = 25UL * 1024 * 1024;
  std::size_t header_limit = 16UL * 1024;
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};
  std::size_t max_connections = 256;
  unsigned io_threads = 1;
  unsigned worker_threads = 2;
  std::chrono::seconds shutdown_grace{30};
  bool handle_signals = true;  // SIGTERM and SIGINT stop the server gracefully
};

ServerOptions server_options(const ServerSettings& settings);

// Runs on a worker thread; must not throw (Router::handle does not). The request is the
// handler's to change (e.g. to fill in the principal).
using RequestHandler = std::function<Response(Request&)>;

class HttpsServer {
 public:
  // Binds the listening socket. Throws Error(io) when the address cannot be bound and
  // Error(crypto) when the TLS identity is unusable.
  HttpsServer(ServerOptions options, const TlsIdentity& identity, RequestHandler handler);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // The bound port (the ephemeral one when options.port was 0).
  unsigned short port() const;

  // Serves until stop() or a signal, then returns once in-flight requests are answered (or
  // the grace period ended).
  void run();
  // Thread-safe; may be called before or during run().
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smime::server
