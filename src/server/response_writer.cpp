#include "smime/server/response_writer.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/core/string.hpp>
#include <limits>

#include "smime/server/router.hpp"

namespace smime::server {
namespace http = boost::beast::http;

namespace {

constexpr std::string_view kHsts = "max-age=31536000";

http::response<http::string_body> build(Response response, bool keep_alive, bool head_request) {
  http::response<http::string_body> message;
  message.version(11);
  message.result(static_cast<unsigned>(response.status));
  message.set(http::field::server, "smimed");
  if (!response.content_type.empty()) {
    message.set(http::field::content_type, response.content_type);
  }
  bool cache_control = false;
  for (const auto& [name, value] : response.headers.all()) {
    message.set(name, value);
    cache_control = cache_control || boost::beast::iequals(name, "Cache-Control");
  }
  if (!cache_control) message.set(http::field::cache_control, "no-store");
  message.set("X-Content-Type-Options", "nosniff");
  message.set(http::field::strict_transport_security, kHsts);
  message.keep_alive(keep_alive);
  const std::size_t length = response.body.size();
  message.body() = std::move(response.body);
  message.prepare_payload();
  if (head_request) {
    message.body().clear();
    message.content_length(length);
  }
  return message;
}

bool all_safe(const Response& response) {
  if (!is_safe_header("Content-Type", response.content_type)) return false;
  for (const auto& [name, value] : response.headers.all()) {
    if (name.empty() || !is_safe_header(name, value)) return false;
  }
  return true;
}

}  // namespace

bool is_safe_header(std::string_view name, std::string_view value) noexcept {
  constexpr std::size_t kBeastFieldMax = std::numeric_limits<std::uint16_t>::max();
  if (name.size() > kBeastFieldMax || value.size() > kBeastFieldMax) return false;
  const auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  for (char c : name) {
    if (bad(c) || c == ':' || c == ' ') return false;
  }
  for (char c : value) {
    if (bad(c)) return false;
  }
  return true;
}

http::response<http::string_body> to_message(Response response, bool keep_alive,
                                             bool head_request) {
  if (!all_safe(response)) {
    spdlog::error("an answer ({}) carried a header that cannot be written: answered 500",
                  response.status);
    response = error_response(500, "internal", "Internal error");
  }
  return build(std::move(response), keep_alive, head_request);
}

}  // namespace smime::server
