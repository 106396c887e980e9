#include "smime/server/request_reader.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

namespace smime::server {
namespace http = boost::beast::http;

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

RequestReader::RequestReader(std::size_t header_limit) : header_limit_(header_limit) {
  this->header_limit(static_cast<std::uint32_t>(header_limit));
  // The body limit is applied by the session once the header is admitted.
  this->body_limit(boost::none);
}

void RequestReader::limit_body(std::uint64_t limit) {
  body_limit_ = limit;
  this->body_limit(limit);
}

void RequestReader::refuse(error_code& ec, std::string why) {
  problem_ = std::move(why);
  ec = http::error::bad_value;
}

void RequestReader::on_request_impl(verb /*method*/, boost::beast::string_view method_string,
                                    boost::beast::string_view target, int version,
                                    error_code& /*ec*/) {
  request_.method.assign(method_string.data(), method_string.size());
  request_.target.assign(target.data(), target.size());
  version_ = version;
}

void RequestReader::on_response_impl(int /*code*/, boost::beast::string_view /*reason*/,
                                     int /*version*/, error_code& ec) {
  ec = http::error::bad_method;  // never called for a request parser
}

void RequestReader::on_field_impl(field name, boost::beast::string_view name_string,
                                  boost::beast::string_view value, error_code& ec) {
  if (header_done_) {
    // Trailer fields: a client could otherwise add headers (Authorization) after the body.
    return refuse(ec, "Trailer fields are not accepted");
  }
  switch (name) {
    case field::host:
      if (++host_fields_ > 1) return refuse(ec, "More than one Host field");
      break;
    case field::authorization:
      if (++authorization_fields_ > 1) return refuse(ec, "More than one Authorization field");
      break;
    case field::transfer_encoding:
      if (transfer_encoding_seen_) return refuse(ec, "More than one Transfer-Encoding field");
      transfer_encoding_seen_ = true;
      if (!boost::beast::iequals(trimmed({value.data(), value.size()}), "chunked")) {
        return refuse(ec, "Transfer-Encoding must be chunked");
      }
      break;
    default:
      break;
  }
  request_.headers.add(std::string(name_string), std::string(value));
}

void RequestReader::on_header_impl(error_code& ec) {
  header_done_ = true;
  if (version_ != 10 && version_ != 11) return refuse(ec, "Only HTTP/1.0 and HTTP/1.1 are served");
  if (version_ == 11 && host_fields_ != 1) return refuse(ec, "HTTP/1.1 requires one Host field");
  if (version_ == 10 && transfer_encoding_seen_) {
    return refuse(ec, "Transfer-Encoding is not defined for HTTP/1.0");
  }
  const auto length = content_length();
  request_.body_announced = chunked() || (length && *length > 0);
}

void RequestReader::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code& /*ec*/) {
  // Beast refuses a declared length over the body limit; within it, one allocation.
  if (content_length && *content_length <= body_limit_ && !discard_body_) {
    request_.body.reserve(static_cast<std::size_t>(*content_length));
  }
}

std::size_t RequestReader::on_body_impl(boost::beast::string_view body, error_code& /*ec*/) {
  if (!discard_body_) request_.body.append(body.data(), body.size());
  return body.size();
}

void RequestReader::on_chunk_header_impl(std::uint64_t /*size*/,
                                         boost::beast::string_view extensions, error_code& ec) {
  extension_bytes_ += extensions.size();
  if (extension_bytes_ > header_limit_) {
    return refuse(ec, "The chunk extensions exceed " + std::to_string(header_limit_) + " bytes");
  }
}

std::size_t RequestReader::on_chunk_body_impl(std::uint64_t /*remain*/,
                                              boost::beast::string_view body, error_code& /*ec*/) {
  if (!discard_body_) request_.body.append(body.data(), body.size());
  return body.size();
}

void RequestReader::on_finish_impl(error_code& /*ec*/) {}

}  // namespace smime::server
