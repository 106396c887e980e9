// Internal to smime_server: one HTTPS connection. TLS handshake (session_handshake.cpp), then
// a keep-alive loop of read the head -> admit it (authentication, route, announced size; a refusal
// is answered before any body byte is read) -> read the body -> run the handler on the worker pool
// (or the priority lane) -> write the response. All socket work happens on the connection's strand;
// the handler never runs on an I/O thread.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/flat_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "server_state.hpp"
#include "smime/audit/deferred_durability.hpp"
#include "smime/common/error.hpp"
#include "smime/server/request_reader.hpp"

namespace smime::server {

struct SslFree {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, ServerState& state, std::string peer);
  ~Session();

  void start();
  // Closes a connection the server does not admit (a connection cap).
  void refuse();
  // Graceful stop: closes the connection now unless a whole request has been received, in
  // which case it is answered (with a short write deadline) and the connection closed after.
  void stop();

 private:
  enum class Phase { handshake, idle, reading, processing, writing, closing, closed };

  // The handshake is driven here rather than by asio's SSL engine, which cannot pause it:
  // each SSL_do_handshake step runs on the worker pool when the TLS key is in the token (a
  // slow token never holds an I/O thread), every wait for the peer on this strand. The
  // finished TLS state is then handed to stream_.
  void handshake_step();
  void on_handshake_step(int result, int ssl_error, std::optional<Error> token_error,
                         unsigned long openssl_error);
  void wait_for_peer(boost::asio::socket_base::wait_type wait);
  void on_handshake_timeout();
  void fail_handshake(const std::optional<Error>& token_error, unsigned long openssl_error);
  void on_handshake();
  void read_header();
  void on_header(boost::beast::error_code ec);
  bool admit(Request& head, bool& priority);
  void skip_body();
  void linger(std::uint64_t budget);
  void read_body(bool priority);
  void on_body(boost::beast::error_code ec, bool priority);
  void wipe_read_buffer();
  void process(bool priority);
  void answer_when_durable(audit::DeferredDurability& durability,
                           std::shared_ptr<Response> response, bool keep_alive,
                           std::uint64_t serial);
  void write(Response response, bool keep_alive);
  void on_write(boost::beast::error_code ec, bool close);
  // An error answer for a request we cannot read on (the connection closes after it).
  void reject(int status, std::string_view code, std::string_view message);
  void reject(Response response);
  void shutdown();
  void close_now();

  ServerState& state_;
  const std::string peer_;
  boost::asio::any_io_executor executor_;  // the connection's strand
  // Until the handshake is done the connection is a socket and its TLS state; then both are
  // stream_ (a flat_stream, as beast::ssl_stream has, which cannot take a TLS state).
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<SSL, SslFree> handshake_ssl_;
  std::unique_ptr<boost::asio::steady_timer> handshake_timer_;
  bool stepping_ = false;           // a handshake step is running (maybe on a worker)
  bool handshake_expired_ = false;  // the handshake outlived handshake_timeout
  using TlsStream = boost::beast::flat_stream<boost::asio::ssl::stream<boost::beast::tcp_stream>>;
  std::optional<TlsStream> stream_;
  // Bounded: a chunk header or trailer section the parser must hold whole cannot grow it.
  boost::beast::flat_buffer buffer_;
  std::optional<RequestReader> reader_;
  Phase phase_ = Phase::handshake;
  bool first_request_ = true;
  bool head_request_ = false;  // the answer is written without its body
  bool lingering_ = false;     // the answer refused a request; drop what still arrives
  BodyLimit body_limit_;       // of the request being read: its route's, else the server's
  bool skip_body_ = false;     // after the answer, read and drop the refused request's body
  std::unique_ptr<std::array<char, 16384>> scratch_;  // for dropping an unread body
  // The bound on a request's work (ServerOptions::work_timeout); the serial tells a late
  // answer, already replaced by a 503, from the current one.
  std::unique_ptr<boost::asio::steady_timer> work_timer_;
  std::uint64_t work_serial_ = 0;
  void on_work_timeout(std::uint64_t serial);
};

}  // namespace smime::server
