#include "smime/server/https_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <csignal>
#include <thread>

#include "server_state.hpp"
#include "session.hpp"
#include "smime/common/error.hpp"

namespace smime::server {
namespace net = boost::asio;
using tcp = net::ip::tcp;

ServerState::ServerState(ServerOptions opts, RequestHandler request_handler,
                         boost::asio::ssl::context tls_context)
    : options(std::move(opts)),
      handler(std::move(request_handler)),
      tls(std::move(tls_context)),
      ioc(static_cast<int>(std::max(1u, options.io_threads))),
      workers(std::max(1u, options.worker_threads)) {}

ServerState::Admit ServerState::add(const std::shared_ptr<Session>& session,
                                    const std::string& address) {
  std::lock_guard lock(mutex);
  if (sessions.size() >= options.max_connections) return Admit::server_full;
  std::size_t& from_address = per_address[address];
  if (from_address >= options.max_connections_per_address) return Admit::address_full;
  ++from_address;
  sessions.emplace(session.get(), Entry{session, address});
  return Admit::admitted;
}

void ServerState::remove(const Session* session) {
  std::function<void()> drained;
  {
    std::lock_guard lock(mutex);
    auto it = sessions.find(session);
    if (it == sessions.end()) return;  // never admitted
    auto count = per_address.find(it->second.address);
    if (count != per_address.end() && --count->second == 0) per_address.erase(count);
    sessions.erase(it);
    if (sessions.empty() && stopping) drained = on_drained;
  }
  if (drained) drained();
}

std::size_t ServerState::active() {
  std::lock_guard lock(mutex);
  return sessions.size();
}

std::vector<std::shared_ptr<Session>> ServerState::snapshot() {
  std::lock_guard lock(mutex);
  std::vector<std::shared_ptr<Session>> live;
  for (auto& [key, entry] : sessions) {
    if (auto s = entry.session.lock()) live.push_back(std::move(s));
  }
  return live;
}

ServerOptions server_options(const ServerSettings& s) {
  ServerOptions o;
  o.address = s.listen_address;
  o.port = static_cast<unsigned short>(s.port);
  o.body_limit = s.body_limit;
  o.header_limit = s.header_limit;
  o.read_timeout = std::chrono::seconds(s.read_timeout_s);
  o.handshake_timeout = std::chrono::seconds(s.handshake_timeout_s);
  o.max_connections_per_address = static_cast<std::size_t>(s.max_connections_per_address);
  o.idle_timeout = std::chrono::seconds(s.idle_timeout_s);
  o.work_timeout = std::chrono::seconds(s.token_timeout_s);
  o.max_connections = static_cast<std::size_t>(s.max_connections);
  o.io_threads = static_cast<unsigned>(s.io_threads);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  o.worker_threads = s.worker_threads > 0 ? static_cast<unsigned>(s.worker_threads) : cores;
  o.shutdown_grace = std::chrono::seconds(s.shutdown_grace_s);
  return o;
}

// Handlers capture `this`: the Impl outlives its io_context (a member of it).
struct HttpsServer::Impl {
  Impl(ServerOptions options, const TlsIdentity& identity, RequestHandler handler)
      : state(std::move(options), std::move(handler), make_tls_context(identity)),
        strand(net::make_strand(state.ioc)),
        acceptor(strand),
        signals(strand),
        grace(strand) {
    state.handshake_on_workers = !identity.token_key_id.empty();
  }

  void listen() {
    boost::system::error_code ec;
    const auto address = net::ip::make_address(state.options.address, ec);
    if (ec) {
      throw Error(ErrorCode::invalid_input,
                  "Invalid listen address '" + state.options.address + "'");
    }
    const tcp::endpoint endpoint(address, state.options.port);
    const std::string where = state.options.address + ":" + std::to_string(state.options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw Error(ErrorCode::io, "Cannot listen on " + where + ": " + ec.message());
    if (state.options.handle_signals) {
      signals.add(SIGTERM);
      signals.add(SIGINT);
      signals.async_wait([this](const boost::system::error_code& e, int sig) {
        if (e) return;
        spdlog::info("signal {}: stopping gracefully", sig);
        begin_stop();
      });
    }
    accept();
  }

  void accept() {
    acceptor.async_accept(net::make_strand(state.ioc),
                          [this](boost::system::error_code ec, tcp::socket socket) {
                            if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
                            if (!ec) admit(std::move(socket));
                            accept();
                          });
  }

  void admit(tcp::socket socket) {
    if (state.stopping) return;
    boost::system::error_code ec;
    const std::string address = socket.remote_endpoint(ec).address().to_string();
    if (ec) return;  // already gone
    // Without it, Nagle holds the last segment of an answer until the client ACKs the one before,
    // which a delayed ACK keeps back for 40 ms: every request of 16 KB took 44 ms (the bench).
    socket.set_option(tcp::no_delay(true), ec);
    auto session = std::make_shared<Session>(std::move(socket), state, address);
    const ServerState::Admit admitted = state.add(session, address);
    if (admitted == ServerState::Admit::admitted) return session->start();
    session->refuse();
    if (const auto left_out = state.refused_connections.permit()) {
      if (admitted == ServerState::Admit::server_full) {
        spdlog::warn("connection limit ({}) reached: refusing connections ({} more not logged)",
                     state.options.max_connections, *left_out);
      } else {
        spdlog::warn("{} has {} connections open: refusing more ({} more not logged)", address,
                     state.options.max_connections_per_address, *left_out);
      }
    }
  }

  // On the strand.
  void begin_stop() {
    if (state.stopping.exchange(true)) return;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    signals.cancel(ignored);
    {
      std::lock_guard lock(state.mutex);
      state.on_drained = [this] { net::post(strand, [this] { grace.cancel(); }); };
    }
    const auto live = state.snapshot();
    for (const auto& session : live) session->stop();
    if (live.empty()) return;
    grace.expires_after(state.options.shutdown_grace);
    grace.async_wait([this](const boost::system::error_code& e) {
      if (e) return;  // every connection finished in time
      spdlog::warn("shutdown grace period over: closing {} connection(s)", state.active());
      state.ioc.stop();
    });
  }

  ServerState state;
  net::strand<net::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer grace;
};

HttpsServer::HttpsServer(ServerOptions options, const TlsIdentity& identity, RequestHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), identity, std::move(handler))) {
  impl_->listen();
}

HttpsServer::~HttpsServer() {
  {
    // Connections destroyed with the io_context must not post to it.
    std::lock_guard lock(impl_->state.mutex);
    impl_->state.on_drained = nullptr;
  }
  impl_->state.ioc.stop();
  impl_->state.workers.join();
  impl_->state.priority_lane.join();
  impl_->state.awaiting_audit.wait_idle();
}

unsigned short HttpsServer::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

namespace {

// A completion handler that throws would end run() and, uncaught, the process: it is logged
// and the loop goes on (the connection it belonged to is closed as its handler is dropped).
void run_guarded(net::io_context& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("an I/O handler failed: {}", e.what());
    } catch (...) {
      spdlog::error("an I/O handler failed");
    }
  }
}

}  // namespace

void HttpsServer::run() {
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < std::max(1u, impl_->state.options.io_threads); ++i) {
    threads.emplace_back([this] { run_guarded(impl_->state.ioc); });
  }
  run_guarded(impl_->state.ioc);
  for (auto& t : threads) t.join();
  impl_->state.workers.join();
  impl_->state.priority_lane.join();
}

void HttpsServer::stop() {
  Impl* impl = impl_.get();
  net::post(impl->strand, [impl] { impl->begin_stop(); });
}

}  // namespace smime::server
