// The TLS handshake of a connection, driven step by step on a non-blocking socket. Asio's SSL
// engine runs SSL_do_handshake on whichever thread completes a read, and treats a paused
// handshake (SSL_ERROR_WANT_ASYNC) as an error, so with the TLS key in the token its signature
// would run, and wait for the token, on an I/O thread. Here each step runs on the worker pool
// when the key is in the token (inline on the strand for a file key: CPU only), and every wait
// for the peer is an async_wait on the strand, bounded by handshake_timeout.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "session.hpp"

namespace smime::server {
namespace beast = boost::beast;
namespace net = boost::asio;

void Session::handshake_step() {
  stepping_ = true;
  auto step = [self = shared_from_this()] {
    // The error queue is this thread's: read it here and leave it empty for the next job.
    ERR_clear_error();
    const int result = SSL_do_handshake(self->handshake_ssl_.get());
    const int ssl_error = SSL_get_error(self->handshake_ssl_.get(), result);
    std::optional<Error> token_error = take_callback_error();
    const unsigned long openssl_error = ERR_peek_last_error();
    ERR_clear_error();
    net::post(self->executor_, [self, result, ssl_error, token_error = std::move(token_error),
                                openssl_error]() mutable {
      self->on_handshake_step(result, ssl_error, std::move(token_error), openssl_error);
    });
  };
  if (state_.handshake_on_workers) {
    net::post(state_.workers, std::move(step));
  } else {
    step();
  }
}

void Session::on_handshake_step(int result, int ssl_error, std::optional<Error> token_error,
                                unsigned long openssl_error) {
  stepping_ = false;
  beast::error_code ignored;
  if (phase_ == Phase::closed) {  // closed while the step ran: the descriptor is ours again
    socket_.close(ignored);
    return;
  }
  if (handshake_expired_) {
    spdlog::debug("TLS handshake with {} timed out", peer_);
    return close_now();
  }
  if (result == 1) return on_handshake();
  if (ssl_error == SSL_ERROR_WANT_READ) return wait_for_peer(net::socket_base::wait_read);
  if (ssl_error == SSL_ERROR_WANT_WRITE) return wait_for_peer(net::socket_base::wait_write);
  fail_handshake(token_error, openssl_error);
}

void Session::wait_for_peer(net::socket_base::wait_type wait) {
  socket_.async_wait(wait, [self = shared_from_this()](beast::error_code ec) {
    if (self->phase_ == Phase::closed) return;
    if (ec) {  // cancelled by the timeout, or the descriptor failed
      spdlog::debug("TLS handshake with {} ended: {}", self->peer_,
                    self->handshake_expired_ ? "timed out" : ec.message());
      return self->close_now();
    }
    self->handshake_step();
  });
}

void Session::on_handshake_timeout() {
  if (phase_ != Phase::handshake) return;
  handshake_expired_ = true;
  beast::error_code ignored;
  if (stepping_) {
    // The step (maybe waiting in the token) cannot be cancelled; the peer hears now and the
    // connection ends when the step is back.
    socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    return;
  }
  socket_.cancel(ignored);  // the pending wait completes with operation_aborted
}

void Session::fail_handshake(const std::optional<Error>& token_error, unsigned long openssl_error) {
  if (token_error) {
    // The TLS key in the token failed to sign: the operator must hear of it.
    if (auto left_out = state_.token_handshakes.permit()) {
      spdlog::warn(
          "TLS handshake failed: the TLS key in the token could not sign: {} ({} more since "
          "the last warning)",
          token_error->detail(), *left_out);
    }
    return close_now();
  }
  // Refused protocol versions, scanners, a peer that left: nothing to answer.
  const char* reason = openssl_error != 0 ? ERR_reason_error_string(openssl_error) : nullptr;
  spdlog::debug("TLS handshake with {} failed: {}", peer_,
                reason != nullptr ? reason : "the connection ended");
  close_now();
}

void Session::on_handshake() {
  handshake_timer_->cancel();
  handshake_timer_.reset();
  // The stream's SSL engine takes the TLS state over and puts its own buffers in place of the
  // socket's (the socket BIO does not own the descriptor, and no record is left in it).
  stream_.emplace(beast::tcp_stream(std::move(socket_)), handshake_ssl_.release());
  read_header();
}

}  // namespace smime::server
