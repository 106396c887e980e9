#include "smime/app/http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

#include "smime/common/error.hpp"

namespace smime::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Body = http::vector_body<unsigned char>;

constexpr std::uint32_t kHeaderLimit = 16 * 1024;

bool valid_port(const std::string& port) {
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  const int value = std::stoi(port);
  return value > 0 && value < 65536;
}

// The exchange's steps, chained by completion handlers: resolve, connect, write, read. (Not a
// coroutine: clang 14 cannot assemble this one under the fuzz build's instrumentation.)
class Exchange {
 public:
  Exchange(asio::ip::tcp::resolver& resolver, beast::tcp_stream& stream, const HttpUrl& url,
           http::request<Body>& request, http::response_parser<Body>& parser)
      : resolver_(resolver), stream_(stream), url_(url), request_(request), parser_(parser) {}

  void start() {
    resolver_.async_resolve(url_.host, url_.port, [this](beast::error_code ec, auto endpoints) {
      if (ec) return finish(ec);
      stream_.async_connect(endpoints, [this](beast::error_code ec, const auto&) {
        if (ec) return finish(ec);
        http::async_write(stream_, request_, [this](beast::error_code ec, std::size_t) {
          if (ec) return finish(ec);
          http::async_read(stream_, buffer_, parser_,
                           [this](beast::error_code ec, std::size_t) { finish(ec); });
        });
      });
    });
  }

  bool done() const noexcept { return done_; }
  const beast::error_code& failure() const noexcept { return failure_; }

 private:
  void finish(beast::error_code ec) {
    done_ = true;
    failure_ = ec;
  }

  asio::ip::tcp::resolver& resolver_;
  beast::tcp_stream& stream_;
  const HttpUrl& url_;
  http::request<Body>& request_;
  http::response_parser<Body>& parser_;
  beast::flat_buffer buffer_;
  bool done_ = false;
  beast::error_code failure_;
};

std::string describe(const beast::error_code& failure, const engine::HttpLimits& limits) {
  if (failure == http::error::body_limit) {
    return "the answer is larger than " + std::to_string(limits.max_body) + " bytes";
  }
  if (failure == http::error::header_limit) return "the answer's header is too large";
  return failure.message();
}

class BeastHttpClient final : public engine::HttpClient {
 public:
  engine::HttpResponse exchange(const engine::HttpRequest& request,
                                const engine::HttpLimits& limits) override {
    const HttpUrl url = parse_http_url(request.url);
    http::request<Body> out(request.body.empty() ? http::verb::get : http::verb::post, url.target,
                            11);
    out.set(http::field::host, url.port == "80" ? url.host : url.host + ":" + url.port);
    out.set(http::field::user_agent, "smime-appliance");
    out.set(http::field::connection, "close");
    if (!request.body.empty()) {
      out.set(http::field::content_type, request.content_type);
      out.body() = request.body;
    }
    out.prepare_payload();
    http::response_parser<Body> parser;
    parser.body_limit(limits.max_body);
    parser.header_limit(kHeaderLimit);

    // Declared before the stream: destroyed last, so that no handler outlives what it uses.
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    Exchange exchange(resolver, stream, url, out, parser);
    exchange.start();
    io.run_for(limits.timeout);
    if (!exchange.done()) {
      // Cancelled, so that the exchange ends here (its handlers run with operation_aborted).
      resolver.cancel();
      beast::error_code ignored;
      stream.socket().close(ignored);
      io.restart();
      io.run_for(std::chrono::milliseconds(100));
      throw Error(ErrorCode::io, "no answer from " + url.host + ":" + url.port + " within " +
                                     std::to_string(limits.timeout.count()) + " ms");
    }
    if (exchange.failure()) {
      const std::string reason = describe(exchange.failure(), limits);
      const bool too_large = reason.rfind("the answer is larger", 0) == 0;
      throw Error(too_large ? ErrorCode::limit_exceeded : ErrorCode::io,
                  too_large ? reason : url.host + ":" + url.port + ": " + reason);
    }
    engine::HttpResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    response.content_type = std::string(parser.get()[http::field::content_type]);
    response.body = std::move(parser.get().body());
    return response;
  }
};

}  // namespace

HttpUrl parse_http_url(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  bool scheme = url.size() > kScheme.size();
  for (std::size_t i = 0; scheme && i < kScheme.size(); ++i) {
    scheme = std::tolower(static_cast<unsigned char>(url[i])) == kScheme[i];
  }
  if (!scheme) throw Error(ErrorCode::invalid_input, "only http:// URLs are fetched");
  const std::string rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find_first_of("/?");
  const std::string authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string::npos) {
    out.target = rest.substr(slash);
    if (out.target.front() == '?') out.target.insert(0, "/");
  }
  if (authority.find('@') != std::string::npos) {
    throw Error(ErrorCode::invalid_input, "URLs with user information are not fetched");
  }
  std::size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) throw Error(ErrorCode::invalid_input, "bad IPv6 address");
    out.host = authority.substr(1, close - 1);
    colon =
        authority.size() > close + 1 && authority[close + 1] == ':' ? close + 1 : std::string::npos;
  } else {
    out.host = authority.substr(0, colon);
  }
  if (colon != std::string::npos) out.port = authority.substr(colon + 1);
  if (out.host.empty() || !valid_port(out.port)) {
    throw Error(ErrorCode::invalid_input, "the URL has no valid host and port");
  }
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      throw Error(ErrorCode::invalid_input, "the URL's path has spaces or control characters");
    }
  }
  return out;
}

std::shared_ptr<engine::HttpClient> make_http_client() {
  return std::make_shared<BeastHttpClient>();
}

}  // namespace smime::app
