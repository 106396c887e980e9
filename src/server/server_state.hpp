// Internal to smime_server: what the listener and every connection share. Member order
// matters for destruction: the worker pools are joined before the io_context goes away, and
// the TLS context and the connection registry outlive both.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "log_throttle.hpp"
#include "smime/server/https_server.hpp"

namespace smime::server {

class Session;

// Answers whose continuation the audit writer still holds (Session::answer_when_durable): the
// server waits for none to be left before it goes, as the continuations use it.
class PendingContinuations {
 public:
  void begin() {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  void end() {
    std::lock_guard lock(mutex_);
    if (--count_ == 0) idle_.notify_all();
  }
  void wait_idle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t count_ = 0;
};

struct ServerState {
  ServerState(ServerOptions opts, RequestHandler request_handler,
              boost::asio::ssl::context tls_context);

  // Registry of live connections (for a graceful stop and the connection caps).
  enum class Admit { admitted, server_full, address_full };
  Admit add(const std::shared_ptr<Session>& session, const std::string& address);
  void remove(const Session* session);
  std::size_t active();
  std::vector<std::shared_ptr<Session>> snapshot();

  const ServerOptions options;
  const RequestHandler handler;
  LogThrottle refused_connections{std::chrono::seconds(10)};
  LogThrottle token_handshakes{std::chrono::seconds(10)};  // TLS key in the token failing
  LogThrottle work_timeouts{std::chrono::seconds(10)};     // requests answered 503 in time
  std::atomic<bool> stopping{false};
  // The TLS key is in the token: handshake steps run on the worker pool, not an I/O thread.
  bool handshake_on_workers = false;
  // Called (once per stop) when the last connection ended during a stop.
  std::function<void()> on_drained;
  PendingContinuations awaiting_audit;

  struct Entry {
    std::weak_ptr<Session> session;
    std::string address;
  };
  std::mutex mutex;
  std::unordered_map<const Session*, Entry> sessions;
  std::unordered_map<std::string, std::size_t> per_address;

  boost::asio::ssl::context tls;
  boost::asio::io_context ioc;
  boost::asio::thread_pool workers;
  boost::asio::thread_pool priority_lane{1};
};

// The TLS server context: TLS 1.2 and 1.3 only, forward-secret AEAD suites, no compression
// or renegotiation, the certificate and (possibly token-held) key of `identity`.
boost::asio::ssl::context make_tls_context(const TlsIdentity& identity);

}  // namespace smime::server
