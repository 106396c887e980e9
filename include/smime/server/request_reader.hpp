// The HTTP/1.1 request parser of smimed's connections, on Beast's basic_parser: it fills a
// server::Request directly and enforces RFC 9112 framing where Beast is lenient. Refused with
// a parse error (problem() says why): trailer fields (never merged into the headers), a
// Transfer-Encoding other than "chunked", Transfer-Encoding on HTTP/1.0, HTTP/1.1 without
// exactly one Host, repeated Host or Authorization fields, chunk extensions beyond the header
// limit. Usable without sockets (put()), which is how the fuzz target drives it.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "smime/server/http.hpp"

namespace smime::server {

class RequestReader final : public boost::beast::http::basic_parser<true> {
 public:
  // header_limit bounds the request line and headers, and separately all chunk extensions.
  explicit RequestReader(std::size_t header_limit);

  // The bound on the body, set once the header is admitted (Beast's body_limit, remembered).
  void limit_body(std::uint64_t limit);

  // The body is read and dropped, not kept (a refused request on a connection kept alive).
  void discard_body() noexcept { discard_body_ = true; }

  // Why the last parse error happened, for the 400 answer; empty for Beast's own errors.
  const std::string& problem() const noexcept { return problem_; }
  int version() const noexcept { return version_; }  // 10 or 11
  // The request read so far (the body only once is_done()).
  Request& request() noexcept { return request_; }

 private:
  using error_code = boost::beast::error_code;
  using field = boost::beast::http::field;
  using verb = boost::beast::http::verb;

  void on_request_impl(verb method, boost::beast::string_view method_string,
                       boost::beast::string_view target, int version, error_code& ec) override;
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        error_code& ec) override;
  void on_field_impl(field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  void refuse(error_code& ec, std::string why);

  std::size_t header_limit_;
  Request request_;
  std::string problem_;
  int version_ = 11;
  int host_fields_ = 0;
  int authorization_fields_ = 0;
  bool transfer_encoding_seen_ = false;
  bool header_done_ = false;
  std::size_t extension_bytes_ = 0;
  std::uint64_t body_limit_ = 0;
  bool discard_body_ = false;
};

}  // namespace smime::server
