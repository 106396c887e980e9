#include "https_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <sstream>
#include <stdexcept>

namespace smime::test {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;

struct HttpsClient::Impl {
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  std::chrono::seconds timeout{30};

  // The header and the body as two writes, the body from where it is (not copied). One write
  // of both as a buffer sequence through beast's ssl_stream left the server waiting for the
  // rest of a 63 KB body, as if bytes were lost on the way: not used.
  beast::error_code write(const std::string& bytes, std::string_view body = {}) {
    beast::error_code ec;
    beast::get_lowest_layer(*stream).expires_after(timeout);
    net::async_write(*stream, net::buffer(bytes),
                     [&ec](beast::error_code e, std::size_t) { ec = e; });
    ioc.restart();
    ioc.run();
    if (ec || body.empty()) return ec;
    net::async_write(*stream, net::buffer(body),
                     [&ec](beast::error_code e, std::size_t) { ec = e; });
    ioc.restart();
    ioc.run();
    return ec;
  }

  HttpResult read(bool head_request = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head_request);
    beast::error_code ec;
    beast::get_lowest_layer(*stream).expires_after(timeout);
    http::async_read(*stream, buffer, parser, [&ec](beast::error_code e, std::size_t) { ec = e; });
    ioc.restart();
    ioc.run();
    if (ec) throw std::runtime_error("no response: " + ec.message());
    auto res = parser.release();
    HttpResult result;
    result.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      result.headers[name] = std::string(field.value());
    }
    result.body = std::move(res.body());
    result.keep_alive = res.keep_alive();
    return result;
  }
};

HttpsClient::HttpsClient(unsigned short port, ClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  // Beast reads at most the buffer's spare capacity (512 bytes when it is empty): one TLS
  // record at a time instead, as a client such as curl reads.
  impl_->buffer.reserve(std::size_t{16} * 1024);
  SSL_CTX* native = impl_->ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, options.min_version);
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(native, options.max_version);
  if (options.min_version < TLS1_2_VERSION) {
    // OpenSSL 3 would not even offer TLS 1.0/1.1 at the default security level; the test
    // wants the server to be the one that refuses.
    SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
  }
  impl_->ctx.set_verify_mode(ssl::verify_none);
  impl_->stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(impl_->ioc, impl_->ctx);
  beast::error_code ec;
  auto& socket = beast::get_lowest_layer(*impl_->stream).socket();
  if (!options.source_address.empty()) {
    socket.open(net::ip::tcp::v4(), ec);
    if (!ec) socket.bind({net::ip::make_address(options.source_address), 0}, ec);
    if (ec) throw std::runtime_error("bind: " + ec.message());
  }
  socket.connect({net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) throw std::runtime_error("connect: " + ec.message());
  impl_->timeout = std::chrono::seconds(options.read_timeout_s);
  impl_->stream->handshake(ssl::stream_base::client, ec);
  if (ec) throw std::runtime_error("handshake: " + ec.message());
}

HttpsClient::~HttpsClient() {
  beast::error_code ec;
  beast::get_lowest_layer(*impl_->stream).socket().close(ec);
}

HttpResult HttpsClient::request(const std::string& method, const std::string& target,
                                const std::string& body,
                                const std::map<std::string, std::string>& headers) {
  // The header serialised alone and the body sent from where it is (a large body not copied:
  // the benches time this client).
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(true);
  if (!body.empty() || req.method() == http::verb::post || req.method() == http::verb::put ||
      req.method() == http::verb::options) {
    req.content_length(body.size());
  }
  std::string bytes;
  {
    std::ostringstream out;
    out << req.base();
    bytes = out.str();
  }
  if (auto ec = impl_->write(bytes, body)) throw std::runtime_error("write: " + ec.message());
  return impl_->read(method == "HEAD");
}

HttpResult HttpsClient::raw(const std::string& bytes, bool head_request) {
  if (auto ec = impl_->write(bytes)) throw std::runtime_error("write: " + ec.message());
  return impl_->read(head_request);
}

bool HttpsClient::send(const std::string& bytes) {
  return !impl_->write(bytes);
}

HttpResult HttpsClient::read_response(bool head_request) {
  return impl_->read(head_request);
}

bool HttpsClient::server_closed() {
  beast::error_code ec;
  char byte = 0;
  beast::get_lowest_layer(*impl_->stream).expires_after(impl_->timeout);
  impl_->stream->async_read_some(net::buffer(&byte, 1),
                                 [&ec](beast::error_code e, std::size_t) { ec = e; });
  impl_->ioc.restart();
  impl_->ioc.run();
  if (ec == beast::error::timeout) return false;  // still open
  return ec == net::error::eof || ec == ssl::error::stream_truncated || ec;
}

std::string HttpsClient::tls_version() const {
  return SSL_get_version(impl_->stream->native_handle());
}

}  // namespace smime::test
