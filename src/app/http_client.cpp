#include "smime/app/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>

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

asio::awaitable<void> exchange_on(asio::ip::tcp::resolver& resolver, beast::tcp_stream& stream,
                                  const HttpUrl& url, http::request<Body>& request,
                                  http::response_parser<Body>& parser) {
  const auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
  co_await stream.async_connect(endpoints, asio::use_awaitable);
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
}

std::string describe(const std::exception_ptr& failure, const engine::HttpLimits& limits) {
  try {
    std::rethrow_exception(failure);
  } catch (const boost::system::system_error& e) {
    if (e.code() == http::error::body_limit) {
      return "the answer is larger than " + std::to_string(limits.max_body) + " bytes";
    }
    if (e.code() == http::error::header_limit) return "the answer's header is too large";
    return e.code().message();
  } catch (const std::exception& e) {
    return e.what();
  }
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
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io, exchange_on(resolver, stream, url, out, parser), [&](std::exception_ptr e) {
      done = true;
      failure = e;
    });
    io.run_for(limits.timeout);
    if (!done) {
      // Cancelled, so that the exchange ends here (its frame unwinds with operation_aborted).
      resolver.cancel();
      beast::error_code ignored;
      stream.socket().close(ignored);
      io.restart();
      io.run_for(std::chrono::milliseconds(100));
      throw Error(ErrorCode::io, "no answer from " + url.host + ":" + url.port + " within " +
                                     std::to_string(limits.timeout.count()) + " ms");
    }
    if (failure) {
      const std::string reason = describe(failure, limits);
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
