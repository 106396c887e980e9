// The HTTP client of online revocation (engine::HttpClient over Boost.Beast): plain http://
// URLs only, one connection per exchange, the whole exchange bounded by the limits' timeout
// (resolving, connecting, sending and reading), the body by max_body, headers by 16 KiB;
// redirects are not followed (a 3xx status is an answer like any other).
#pragma once

#include <memory>
#include <string>

#include "smime/engine/revocation.hpp"

namespace smime::app {

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";  // path and query
};

// Error(invalid_input) for anything but http://host[:port][/path].
HttpUrl parse_http_url(const std::string& url);

std::shared_ptr<engine::HttpClient> make_http_client();

}  // namespace smime::app
