// smimed's HTTPS front end (Boost.Beast/Asio, OpenSSL): TLS 1.2+ only, keep-alive, request
// limits and timeouts, connection caps (in all and per client address), requests admitted on
// their head before the body is read, and a worker pool that runs every request handler
// (token and database work) so the I/O threads only do TLS and HTTP parsing; a one-thread
// priority lane keeps health answerable while the pool is saturated. stop() (or
// SIGTERM/SIGINT) is graceful: no new connections, idle ones are closed, requests already
// received are answered, then run() returns.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
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
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds idle_timeout{60};
  // A request whose token and database work takes longer is answered 503 (0: no bound); the
  // work itself cannot be cancelled inside the token and ends on its worker.
  std::chrono::seconds work_timeout{30};
  // Counts the requests handed to the workers and not yet done with, when set (the audit log
  // paces its commits by it).
  std::shared_ptr<std::atomic<std::size_t>> requests_at_work;
  std::size_t max_connections = 256;
  std::size_t max_connections_per_address = 32;
  unsigned io_threads = 1;
  unsigned worker_threads = 2;
  std::chrono::seconds shutdown_grace{30};
  bool handle_signals = true;  // SIGTERM and SIGINT stop the server gracefully
};

ServerOptions server_options(const ServerSettings& settings);

// What the server asks of the application, in two steps. Neither may throw (an exception is
// answered 500 and logged, never passed on). The request is the handler's to change.
struct RequestHandler {
  struct Decision {
    std::optional<Response> refusal;      // answer this now; the body is never read
    bool priority = false;                // run on the priority lane (health), not the worker pool
    std::optional<BodyLimit> body_limit;  // the route's bound; unset: ServerOptions::body_limit
    std::function<void()> after;          // worker-pool work once the refusal is answered
  };
  // On the connection's I/O thread once the head is complete, before any body byte is read:
  // authentication and everything the head decides. Unset: every request is admitted.
  std::function<Decision(Request&)> admit;
  // On a worker thread (or the priority lane) with the whole request.
  std::function<Response(Request&)> handle;
};

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
