// Internal to smime_server: one HTTPS connection. TLS handshake, then a keep-alive loop of
// read request -> run the handler on the worker pool -> write the response. All socket work
// happens on the connection's strand; the handler never runs on an I/O thread.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "server_state.hpp"

namespace smime::server {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, ServerState& state);
  ~Session();

  void start();
  // Graceful stop: closes the connection now if it waits for a request; otherwise the
  // request in progress is answered and the connection closed after it.
  void stop_if_idle();

 private:
  enum class Phase { handshake, idle, reading, processing, writing, closing, closed };
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void on_handshake(boost::beast::error_code ec);
  void read_header();
  void on_header(boost::beast::error_code ec);
  void drain(std::uint64_t remaining);
  std::string too_large_message() const;
  void linger(std::uint64_t budget);
  void read_body();
  void on_body(boost::beast::error_code ec);
  void process();
  void write(Response response, bool keep_alive);
  void on_write(boost::beast::error_code ec, bool close);
  // An error answer for a request we cannot read on (the connection closes after it).
  void reject(int status, std::string_view code, std::string_view message);
  void shutdown();
  void close_now();

  ServerState& state_;
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  Phase phase_ = Phase::handshake;
  bool first_request_ = true;
  bool lingering_ = false;  // the answer refused a request; drop what still arrives
  std::unique_ptr<std::array<char, 16384>> scratch_;  // for dropping an oversized body
};

}  // namespace smime::server
