// The HTTP request and response as smimed's routes see them: plain values, independent of
// Boost.Beast, so the whole API can be exercised without sockets.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/store/api_token_store.hpp"

namespace smime::server {

// Who sent the request (resolved from the bearer token before routing).
struct Principal {
  std::string actor;  // api_tokens.id as decimal text: the audit log's actor
  std::string name;
  store::ApiRole role = store::ApiRole::auditor;
};

// Header names compare case-insensitively; the first of repeated headers wins.
class Headers {
 public:
  void add(std::string name, std::string value);
  std::optional<std::string_view> get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const noexcept { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as received ("/api/v1/certificates?email=a%40b")
  Headers headers;
  std::string body;
  // The header announced a body (Content-Length above zero, or chunked): known before the
  // body is read, when the request is admitted.
  bool body_announced = false;
  std::string peer;                    // the client's IP address ("" when not from a socket)
  std::optional<Principal> principal;  // nullopt: no valid bearer token
  // The store's revision, read with the bearer token: the request's use case reads no other.
  std::optional<std::int64_t> store_revision;
  bool credentials_given = false;  // an Authorization header was present
};

struct Response {
  int status = 200;
  std::string content_type;  // empty: no body
  Headers headers;           // extra headers (Allow, Content-Disposition, ...)
  std::string body;
  std::optional<ErrorCode> error;  // the Error it answers (metrics); not sent
};

// A bound on request bodies and the [server] setting that sets it, which the 413 names.
struct BodyLimit {
  std::size_t bytes = 0;  // 0: none
  std::string setting = "body_limit";
};
// "The request body exceeds N bytes (the [server] setting <setting>)".
std::string too_large_message(const BodyLimit& limit);

// Path ("/a/b") and decoded query parameters of a target. nullopt on a malformed
// percent-encoding or a target that is not an origin-form path.
struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};
std::optional<Target> parse_target(std::string_view target);

// The bearer credential of an Authorization header ("Bearer <token>"), case-insensitive scheme.
std::optional<std::string_view> bearer_token(const Headers& headers);

// Media type of a Content-Type value, lowercased, without parameters ("application/json").
std::string media_type(std::string_view content_type);

// The quality (0 to 1) an Accept header gives `type` ("message/rfc822"): its own entry, else
// "message/*", else "*/*" when `wildcards`; 0 when the header does not accept it. A missing
// or empty header accepts everything (quality 1 with wildcards, else 0).
double accept_quality(std::optional<std::string_view> accept, std::string_view type,
                      bool wildcards);

// Text from a message or certificate as a response header value: printable ASCII kept, every
// other byte written as \xNN (so no CR, LF or control character reaches the header), at most
// `max_bytes` long (cut with "...").
std::string header_value(std::string_view text, std::size_t max_bytes = 1024);

}  // namespace smime::server
