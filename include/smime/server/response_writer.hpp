// A Response as the HTTP/1.1 message smimed writes: Server, no-store unless the route chose a
// Cache-Control, nosniff, HSTS (smimed only speaks HTTPS), Content-Length. A header name or
// value holding CR, LF or NUL (or one Beast cannot hold) never reaches the wire: the answer
// becomes 500. For HEAD the Content-Length is the body's and the body is left out.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "smime/server/http.hpp"

namespace smime::server {

boost::beast::http::response<boost::beast::http::string_body> to_message(Response response,
                                                                         bool keep_alive,
                                                                         bool head_request);

// True when a header name or value may be written as it is (no CR, LF or NUL; Beast's size).
bool is_safe_header(std::string_view name, std::string_view value) noexcept;

}  // namespace smime::server
