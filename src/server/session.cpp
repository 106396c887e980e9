#include "session.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "smime/server/router.hpp"

namespace smime::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr auto kShutdownTimeout = std::chrono::seconds(2);
// An oversized body is read and dropped up to this many times the body limit.
constexpr std::uint64_t kDrainLimitFactor = 4;

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

Request to_request(http::request<http::string_body>&& message) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

}  // namespace

Session::Session(net::ip::tcp::socket socket, ServerState& state)
    : state_(state), stream_(std::move(socket), state.tls) {}

Session::~Session() {
  state_.remove(this);
}

void Session::start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    beast::get_lowest_layer(self->stream_).expires_after(self->state_.options.read_timeout);
    self->stream_.async_handshake(net::ssl::stream_base::server,
                                  [self](beast::error_code ec) { self->on_handshake(ec); });
  });
}

void Session::stop_if_idle() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    const bool waiting = self->phase_ == Phase::handshake ||
                         (self->phase_ == Phase::idle && self->buffer_.size() == 0 &&
                          !(self->parser_ && self->parser_->got_some()));
    if (waiting) self->close_now();
  });
}

void Session::on_handshake(beast::error_code ec) {
  if (phase_ == Phase::closed) return;
  if (ec) {
    // Refused protocol versions, scanners, timeouts: nothing to answer.
    spdlog::debug("TLS handshake failed: {}", ec.message());
    return close_now();
  }
  read_header();
}

void Session::read_header() {
  if (state_.stopping) return shutdown();
  phase_ = Phase::idle;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(state_.options.header_limit));
  // The body limit is applied once the header is read, so that a declared oversized body
  // is answered with 413 (on_header) rather than failing the header read.
  parser_->body_limit(boost::none);
  beast::get_lowest_layer(stream_).expires_after(first_request_ ? state_.options.read_timeout
                                                                : state_.options.idle_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code ec) {
  if (phase_ == Phase::closed) return;
  if (ec == http::error::header_limit) {
    return reject(
        431, "header_too_large",
        "The request headers exceed " + std::to_string(state_.options.header_limit) + " bytes");
  }
  if (is_parse_error(ec)) return reject(400, "bad_request", "Malformed HTTP request");
  if (ec) return close_now();  // end of stream, timeout, reset, stop
  phase_ = Phase::reading;
  const auto length = parser_->content_length();
  const auto& message = parser_->get();
  const bool expects_continue = beast::iequals(message[http::field::expect], "100-continue");
  if (length && *length > state_.options.body_limit) {
    // A client that waits for 100-continue never sends the body. Otherwise the body is read
    // and dropped (up to a bound) so that closing does not reset the connection before the
    // client has read the answer.
    const std::uint64_t pending = *length > buffer_.size() ? *length - buffer_.size() : 0;
    if (expects_continue || pending > kDrainLimitFactor * state_.options.body_limit) {
      return reject(413, "payload_too_large", too_large_message());
    }
    buffer_.consume(buffer_.size());
    return drain(pending);
  }
  parser_->body_limit(state_.options.body_limit);  // chunked bodies are cut off here
  if (expects_continue) {
    auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                      message.version());
    beast::get_lowest_layer(stream_).expires_after(state_.options.read_timeout);
    return http::async_write(
        stream_, *interim, [self = shared_from_this(), interim](beast::error_code e, std::size_t) {
          if (e) return self->close_now();
          self->read_body();
        });
  }
  read_body();
}

std::string Session::too_large_message() const {
  return "The request body exceeds " + std::to_string(state_.options.body_limit) + " bytes";
}

void Session::drain(std::uint64_t remaining) {
  if (remaining == 0) return reject(413, "payload_too_large", too_large_message());
  if (!scratch_) scratch_ = std::make_unique<std::array<char, 16384>>();
  const std::size_t chunk = std::min<std::uint64_t>(remaining, scratch_->size());
  beast::get_lowest_layer(stream_).expires_after(state_.options.read_timeout);
  stream_.async_read_some(
      net::buffer(scratch_->data(), chunk),
      [self = shared_from_this(), remaining](beast::error_code ec, std::size_t n) {
        if (self->phase_ == Phase::closed) return;
        if (ec) return self->close_now();
        self->drain(remaining - n);
      });
}

void Session::read_body() {
  beast::get_lowest_layer(stream_).expires_after(state_.options.read_timeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void Session::on_body(beast::error_code ec) {
  if (phase_ == Phase::closed) return;
  if (ec == http::error::body_limit) return reject(413, "payload_too_large", too_large_message());
  if (is_parse_error(ec)) return reject(400, "bad_request", "Malformed HTTP request");
  if (ec) return close_now();
  process();
}

void Session::process() {
  phase_ = Phase::processing;
  beast::get_lowest_layer(stream_).expires_never();
  const bool keep_alive = parser_->keep_alive();
  auto request = std::make_shared<Request>(to_request(parser_->release()));
  parser_.reset();
  // The handler (token and database work) runs on the worker pool, never on this I/O thread.
  net::post(state_.workers, [self = shared_from_this(), request, keep_alive] {
    Response response;
    try {
      response = self->state_.handler(*request);
    } catch (...) {
      response = error_response(500, "internal", "Internal error");
    }
    // Bodies may hold keys and passphrases.
    OPENSSL_cleanse(request->body.data(), request->body.size());
    net::post(self->stream_.get_executor(),
              [self, response = std::move(response), keep_alive]() mutable {
                self->write(std::move(response), keep_alive);
              });
  });
}

void Session::write(Response response, bool keep_alive) {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::writing;
  auto message = std::make_shared<http::response<http::string_body>>();
  message->version(11);
  message->result(static_cast<unsigned>(response.status));
  message->set(http::field::server, "smimed");
  if (!response.content_type.empty())
    message->set(http::field::content_type, response.content_type);
  bool cache_control = false;
  for (const auto& [name, value] : response.headers.all()) {
    message->set(name, value);
    cache_control = cache_control || beast::iequals(name, "Cache-Control");
  }
  if (!cache_control) message->set(http::field::cache_control, "no-store");
  message->set("X-Content-Type-Options", "nosniff");
  message->body() = std::move(response.body);
  message->keep_alive(keep_alive && !state_.stopping);
  message->prepare_payload();
  beast::get_lowest_layer(stream_).expires_after(state_.options.read_timeout);
  http::async_write(stream_, *message,
                    [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
                      self->on_write(ec, !message->keep_alive());
                    });
}

void Session::on_write(beast::error_code ec, bool close) {
  if (phase_ == Phase::closed) return;
  if (ec) return close_now();
  if (close && lingering_) return linger(kDrainLimitFactor * state_.options.body_limit);
  if (close) return shutdown();
  first_request_ = false;
  read_header();
}

void Session::linger(std::uint64_t budget) {
  // After refusing a request whose body is still arriving: keep reading (and dropping) it
  // for a while, so that closing does not reset the connection before the client has read
  // the answer. Ends at end of stream, on the read timeout or when the budget is used up.
  if (budget == 0) return close_now();
  if (!scratch_) scratch_ = std::make_unique<std::array<char, 16384>>();
  beast::get_lowest_layer(stream_).expires_after(kShutdownTimeout);
  stream_.async_read_some(net::buffer(scratch_->data(), scratch_->size()),
                          [self = shared_from_this(), budget](beast::error_code ec, std::size_t n) {
                            if (self->phase_ == Phase::closed) return;
                            if (ec) return self->close_now();
                            self->linger(n >= budget ? 0 : budget - n);
                          });
}

void Session::reject(int status, std::string_view code, std::string_view message) {
  lingering_ = true;
  parser_.reset();
  write(error_response(status, code, message), /*keep_alive=*/false);
}

void Session::shutdown() {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return;
  phase_ = Phase::closing;
  beast::get_lowest_layer(stream_).expires_after(kShutdownTimeout);
  stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->close_now(); });
}

void Session::close_now() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(stream_).socket();
  socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(stream_).close();
}

}  // namespace smime::server
