#include "session.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <utility>

#include "smime/audit/deferred_durability.hpp"
#include "smime/common/error.hpp"
#include "smime/common/heap.hpp"
#include "smime/server/response_writer.hpp"
#include "smime/server/router.hpp"
#include "smime/store/revision_scope.hpp"

namespace smime::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr auto kShutdownTimeout = std::chrono::seconds(2);
// An unread body is read and dropped after the answer up to this many times the body limit.
constexpr std::uint64_t kDrainLimitFactor = 4;
// What the read buffer holds beyond the header limit: one socket read.
constexpr std::size_t kReadSlack = std::size_t{64} * 1024;
// Beast reads at most what the buffer holds beyond its content (or 512 bytes), and a flat
// buffer only grows when a read needs more: left to itself it stays at 512 bytes and a 25 MB
// body took 50,000 reads. One TLS record's plaintext per read instead.
constexpr std::size_t kReadSize = std::size_t{16} * 1024;
// After a request this large, freed memory is handed back to the system at once (smaller ones
// leave it to jemalloc's decay, 1 s). At 1 MiB, every 1 MB message paid for its buffers'
// pages again: a fifth of smimed's CPU was page faults and first-touch copies.
constexpr std::size_t kTrimAfterBytes = std::size_t{8} * 1024 * 1024;

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

}  // namespace

Session::Session(net::ip::tcp::socket socket, ServerState& state, std::string peer)
    : state_(state),
      peer_(std::move(peer)),
      executor_(socket.get_executor()),
      socket_(std::move(socket)),
      buffer_(state.options.header_limit + kReadSlack) {
  buffer_.reserve(std::min(kReadSize, buffer_.max_size()));
}

Session::~Session() {
  state_.remove(this);
}

void Session::start() {
  net::dispatch(executor_, [self = shared_from_this()] {
    if (self->phase_ == Phase::closed) return;
    beast::error_code ec;
    self->socket_.native_non_blocking(true, ec);  // OpenSSL reads and writes it directly
    self->handshake_ssl_.reset(SSL_new(self->state_.tls.native_handle()));
    if (ec || !self->handshake_ssl_ ||
        SSL_set_fd(self->handshake_ssl_.get(), self->socket_.native_handle()) != 1) {
      ERR_clear_error();
      spdlog::warn("cannot start a TLS handshake: {}", ec ? ec.message() : "out of memory");
      return self->close_now();
    }
    SSL_set_accept_state(self->handshake_ssl_.get());
    self->handshake_timer_ = std::make_unique<net::steady_timer>(self->executor_);
    self->handshake_timer_->expires_after(self->state_.options.handshake_timeout);
    self->handshake_timer_->async_wait([self](beast::error_code e) {
      if (!e) self->on_handshake_timeout();
    });
    self->handshake_step();
  });
}

void Session::refuse() {
  close_now();
}

void Session::stop() {
  net::dispatch(executor_, [self = shared_from_this()] {
    switch (self->phase_) {
      case Phase::handshake:
      case Phase::idle:
      case Phase::reading:  // a request not yet received whole is not answered
        return self->close_now();
      case Phase::writing:  // a slow reader does not hold the stop for the grace period
        beast::get_lowest_layer(*self->stream_).expires_after(kShutdownTimeout);
        return;
      case Phase::processing:  // answered, then closed (write() sees stopping)
      case Phase::closing:
      case Phase::closed:
        return;
    }
  });
}

void Session::read_header() {
  if (state_.stopping) return shutdown();
  phase_ = Phase::idle;
  reader_.emplace(state_.options.header_limit);
  beast::get_lowest_layer(*stream_).expires_after(first_request_ ? state_.options.read_timeout
                                                                 : state_.options.idle_timeout);
  http::async_read_header(
      *stream_, buffer_, *reader_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code ec) {
  if (phase_ == Phase::closed) return;
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return reject(
        431, "header_too_large",
        "The request headers exceed " + std::to_string(state_.options.header_limit) + " bytes");
  }
  if (is_parse_error(ec)) {
    const std::string& why = reader_->problem();
    return reject(400, "bad_request", why.empty() ? "Malformed HTTP request" : why);
  }
  if (ec) return close_now();  // end of stream, timeout, reset, stop
  phase_ = Phase::reading;
  Request& head = reader_->request();
  head.peer = peer_;
  head_request_ = head.method == "HEAD";
  bool priority = false;
  if (!admit(head, priority)) return;
  const auto length = reader_->content_length();
  if (length && *length > body_limit_.bytes) {
    return reject(413, "payload_too_large", too_large_message(body_limit_));
  }
  reader_->limit_body(body_limit_.bytes);  // chunked bodies are cut off here
  if (beast::iequals(head.headers.get("Expect").value_or(""), "100-continue") &&
      head.body_announced) {
    auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                      reader_->version());
    return http::async_write(
        *stream_, *interim,
        [self = shared_from_this(), interim, priority](beast::error_code e, std::size_t) {
          if (e) return self->close_now();
          self->read_body(priority);
        });
  }
  read_body(priority);
}

// The application's decision on the head; false when the request was answered here.
bool Session::admit(Request& head, bool& priority) {
  body_limit_ = BodyLimit{state_.options.body_limit};
  if (!state_.handler.admit) return true;
  RequestHandler::Decision decision;
  try {
    decision = state_.handler.admit(head);
  } catch (...) {
    decision.refusal = error_response(500, "internal", "Internal error");
  }
  priority = decision.priority;
  if (decision.body_limit) body_limit_ = *decision.body_limit;
  if (decision.after) net::post(state_.workers, std::move(decision.after));
  if (!decision.refusal) return true;
  const auto length = reader_->content_length();
  const bool expects_continue =
      beast::iequals(head.headers.get("Expect").value_or(""), "100-continue");
  const bool keep_alive = reader_->keep_alive();
  if (decision.refusal->status == 400 ||
      (head.body_announced &&
       (!keep_alive || expects_continue || (length && *length > body_limit_.bytes)))) {
    // Malformed, or a body that will not come or is not worth reading: close after it.
    reject(std::move(*decision.refusal));
    return false;
  }
  if (head.body_announced) {
    // Answered now; the body is then read and dropped (never kept) to keep the connection.
    reader_->discard_body();
    reader_->limit_body(body_limit_.bytes);
    skip_body_ = true;
  } else {
    reader_.reset();
  }
  write(std::move(*decision.refusal), keep_alive);
  return false;
}

void Session::skip_body() {
  beast::get_lowest_layer(*stream_).expires_after(state_.options.read_timeout);
  http::async_read(*stream_, buffer_, *reader_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     if (self->phase_ == Phase::closed) return;
                     self->reader_.reset();
                     if (ec) return self->close_now();
                     self->read_header();
                   });
}

void Session::read_body(bool priority) {
  beast::get_lowest_layer(*stream_).expires_after(state_.options.read_timeout);
  http::async_read(*stream_, buffer_, *reader_,
                   [self = shared_from_this(), priority](beast::error_code ec, std::size_t) {
                     self->on_body(ec, priority);
                   });
}

void Session::on_body(beast::error_code ec, bool priority) {
  if (phase_ == Phase::closed) return;
  if (ec == http::error::body_limit) {
    return reject(413, "payload_too_large", too_large_message(body_limit_));
  }
  if (ec == http::error::buffer_overflow) {
    return reject(400, "bad_request", "A chunk header or the trailer section is too large");
  }
  if (is_parse_error(ec)) {
    const std::string& why = reader_->problem();
    return reject(400, "bad_request", why.empty() ? "Malformed HTTP request" : why);
  }
  if (ec) return close_now();
  wipe_read_buffer();
  process(priority);
}

// The body passed through the read buffer too (keys, passphrases): its storage is wiped once
// the parser has taken everything (a pipelined request's bytes are left as they are).
void Session::wipe_read_buffer() {
  if (buffer_.size() != 0) return;
  const auto storage = buffer_.prepare(buffer_.capacity());
  OPENSSL_cleanse(storage.data(), storage.size());
}

void Session::process(bool priority) {
  phase_ = Phase::processing;
  beast::get_lowest_layer(*stream_).expires_never();
  const bool keep_alive = reader_->keep_alive();
  auto request = std::make_shared<Request>(std::move(reader_->request()));
  reader_.reset();
  const std::uint64_t serial = ++work_serial_;
  if (state_.options.work_timeout.count() > 0) {
    if (!work_timer_) work_timer_ = std::make_unique<net::steady_timer>(executor_);
    work_timer_->expires_after(state_.options.work_timeout);
    work_timer_->async_wait([self = shared_from_this(), serial](beast::error_code ec) {
      if (!ec) self->on_work_timeout(serial);
    });
  }
  auto job = [self = shared_from_this(), request, keep_alive, serial]() mutable {
    // The use case's audit entries are queued, not waited for: this worker goes on to the next
    // request while they are committed, and the answer is written once they are durable.
    audit::DeferredDurability durability;
    // The revision read with the API token serves the use case's caches (no second read).
    const store::RevisionSeed revision(request->store_revision);
    auto response = std::make_shared<Response>();
    try {
      *response = self->state_.handler.handle(*request);
    } catch (...) {
      *response = error_response(500, "internal", "Internal error");
    }
    if (const auto& at_work = self->state_.options.requests_at_work) at_work->fetch_sub(1);
    // Bodies may hold keys and passphrases.
    OPENSSL_cleanse(request->body.data(), request->body.size());
    const bool large = request->body.size() >= kTrimAfterBytes;
    request.reset();
    if (large) return_free_memory();  // hand the pages of a large request back to the system
    self->answer_when_durable(durability, std::move(response), keep_alive, serial);
  };
  if (const auto& at_work = state_.options.requests_at_work) at_work->fetch_add(1);
  // The handler (token and database work) runs on a pool, never on this I/O thread.
  if (priority) {
    net::post(state_.priority_lane, std::move(job));
  } else {
    net::post(state_.workers, std::move(job));
  }
}

void Session::answer_when_durable(audit::DeferredDurability& durability,
                                  std::shared_ptr<Response> response, bool keep_alive,
                                  std::uint64_t serial) {
  // The guard keeps the io_context running (a graceful stop included) until the answer is
  // posted; the count lets the server wait for continuations still held by the audit writer.
  state_.awaiting_audit.begin();
  durability.when_durable(
      [self = shared_from_this(), response = std::move(response), keep_alive, serial,
       guard = net::make_work_guard(executor_)](const std::optional<Error>& failure) mutable {
        if (failure) {
          spdlog::warn("an answer's audit entry could not be written: {}", failure->detail());
          // Only an acknowledgement must not go out without its entry: an error answer stays.
          if (response->status < 400) *response = error_response(*failure);
        }
        ServerState& state = self->state_;
        net::post(self->executor_, [self, response, keep_alive, serial]() mutable {
          if (self->work_serial_ != serial) return;  // answered 503 already
          if (self->work_timer_) self->work_timer_->cancel();
          self->write(std::move(*response), keep_alive);
        });
        self.reset();
        guard.reset();
        state.awaiting_audit.end();
      });
}

void Session::on_work_timeout(std::uint64_t serial) {
  if (work_serial_ != serial || phase_ != Phase::processing) return;
  ++work_serial_;  // the late answer is dropped
  if (auto left_out = state_.work_timeouts.permit()) {
    spdlog::warn(
        "a request's token or database work took longer than {} s: answered 503 ({} more "
        "since the last warning)",
        state_.options.work_timeout.count(), *left_out);
  }
  // The connection closes after this answer: the late work must not meet a next request.
  write(error_response(503, "token_timeout",
                       "The token (or the database) did not answer within " +
                           std::to_string(state_.options.work_timeout.count()) +
                           " s (token_timeout_s); try again later"),
        false);
}

void Session::write(Response response, bool keep_alive) {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::writing;
  auto message = std::make_shared<http::response<http::string_body>>(
      to_message(std::move(response), keep_alive && !state_.stopping, head_request_));
  beast::get_lowest_layer(*stream_).expires_after(state_.stopping ? kShutdownTimeout
                                                                  : state_.options.read_timeout);
  http::async_write(
      *stream_, *message,
      [self = shared_from_this(), message](beast::error_code ec, std::size_t) mutable {
        const bool close = !message->keep_alive();
        const bool large = message->body().size() >= kTrimAfterBytes;
        message.reset();
        if (large) return_free_memory();  // and those of a large answer
        self->on_write(ec, close);
      });
}

void Session::on_write(beast::error_code ec, bool close) {
  if (phase_ == Phase::closed) return;
  if (ec) return close_now();
  if (close && lingering_) return linger(kDrainLimitFactor * body_limit_.bytes);
  if (close) return shutdown();
  first_request_ = false;
  if (std::exchange(skip_body_, false)) return skip_body();
  read_header();
}

void Session::linger(std::uint64_t budget) {
  // After refusing a request whose body is still arriving: tell the client we are done (a
  // TCP half-close), then keep reading and dropping for a while, so that closing does not
  // reset the connection before the client has read the answer. Ends at end of stream,
  // after a quiet spell or when the budget is used up.
  if (budget == 0 || state_.stopping) return close_now();
  if (phase_ != Phase::closing) {
    phase_ = Phase::closing;
    beast::error_code ignored;
    beast::get_lowest_layer(*stream_).socket().shutdown(net::ip::tcp::socket::shutdown_send,
                                                        ignored);
  }
  if (!scratch_) scratch_ = std::make_unique<std::array<char, 16384>>();
  beast::get_lowest_layer(*stream_).expires_after(kShutdownTimeout);
  stream_->async_read_some(
      net::buffer(scratch_->data(), scratch_->size()),
      [self = shared_from_this(), budget](beast::error_code ec, std::size_t n) {
        if (self->phase_ == Phase::closed) return;
        if (ec) return self->close_now();
        self->linger(n >= budget ? 0 : budget - n);
      });
}

void Session::reject(int status, std::string_view code, std::string_view message) {
  reject(error_response(status, code, message));
}

void Session::reject(Response response) {
  lingering_ = true;
  skip_body_ = false;
  reader_.reset();
  buffer_.consume(buffer_.size());
  write(std::move(response), /*keep_alive=*/false);
}

void Session::shutdown() {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return;
  phase_ = Phase::closing;
  beast::get_lowest_layer(*stream_).expires_after(kShutdownTimeout);
  stream_->next_layer().async_shutdown(
      [self = shared_from_this()](beast::error_code) { self->close_now(); });
}

void Session::close_now() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  if (work_timer_) work_timer_->cancel();
  if (handshake_timer_) handshake_timer_->cancel();
  beast::error_code ignored;
  if (!stream_) {
    // A handshake step on a worker may still use the descriptor: the peer is told now, the
    // descriptor is closed when the step is back (on_handshake_step).
    socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    if (!stepping_) socket_.close(ignored);
    return;
  }
  auto& socket = beast::get_lowest_layer(*stream_).socket();
  socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(*stream_).close();
}

}  // namespace smime::server
