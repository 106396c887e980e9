// The HTTP request path without sockets: bytes -> the session's RequestReader (fed in pieces
// as a socket would deliver them, in a bounded buffer) -> admission by a Router with routes
// of the API's shapes -> body -> Router::handle -> the response message as written. Nothing
// may throw, hang or write a header with CR, LF or NUL.
#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string_view>

#include "smime/server/request_reader.hpp"
#include "smime/server/response_writer.hpp"
#include "smime/server/router.hpp"

namespace {

using namespace smime::server;
namespace http = boost::beast::http;

constexpr std::size_t kHeaderLimit = 4096;
constexpr std::size_t kBodyLimit = 64 * 1024;

std::vector<Route> fuzz_routes() {
  std::vector<Route> routes = {
      {"GET",
       "/healthz",
       Access::public_,
       {},
       "health",
       [](const Call&) {
         return json_response(200, nlohmann::json{{"status", "ok"}});
       }},
      {"GET",
       "/api/v1/certificates",
       Access::read_certificates,
       {},
       "list",
       [](const Call& c) {
         const std::optional<bool> ca = c.query_flag("ca");
         nlohmann::json body = {{"email", c.query("email")}};
         body["ca"] = ca ? nlohmann::json(*ca) : nlohmann::json(nullptr);
         return json_response(200, body);
       },
       {"email", "ca"}},
      {"POST",
       "/api/v1/certificates",
       Access::admin,
       {"application/x-pem-file", "application/pkix-cert"},
       "import",
       [](const Call& c) {
         return json_response(201, nlohmann::json{{"size", c.request.body.size()}});
       }},
      {"PUT",
       "/api/v1/groups/{name}",
       Access::admin,
       {"application/json"},
       "putGroup",
       [](const Call& c) {
         // A path parameter echoed into a header: the writer must refuse line breaks.
         Response r = json_response(200, c.json);
         r.headers.add("X-Smime-Decided-By", "group " + c.param("name"));
         return r;
       }},
      {"POST",
       "/api/v1/messages/incoming",
       Access::admin,
       {"message/rfc822"},
       "incoming",
       [](const Call& c) {
         // As the incoming route answers message/rfc822: Accept negotiated, text of the
         // message in headers.
         const auto accept = c.request.headers.get("Accept");
         Response r = json_response(200, nlohmann::json::object());
         if (accept_quality(accept, "message/rfc822", false) >=
             accept_quality(accept, "application/json", true)) {
           r.content_type = "message/rfc822";
           r.body = c.request.body;
         }
         r.headers.add("X-Smime-Signature-Reason", header_value(c.request.body, 256));
         return r;
       }},
  };
  routes.back().body_limit = BodyLimit{2 * kBodyLimit, "incoming_body_limit"};
  return routes;
}

const Router& router() {
  static const Router instance(fuzz_routes(), BodyLimit{kBodyLimit});
  return instance;
}

void authenticate(Request& request) {
  request.credentials_given = request.headers.get("Authorization").has_value();
  const auto bearer = bearer_token(request.headers);
  if (bearer && *bearer == "good")
    request.principal = Principal{"1", "fuzz", smime::store::ApiRole::admin};
  if (bearer && *bearer == "reader") {
    request.principal = Principal{"2", "fuzz", smime::store::ApiRole::auditor};
  }
}

void check_written(Response response, bool head) {
  auto message = to_message(std::move(response), true, head);
  for (const auto& field : message) {
    if (!is_safe_header(field.name_string(), field.value())) std::abort();
  }
  std::ostringstream out;
  out << message;
}

// Feeds `input` into the reader in pieces of `step` bytes (a bounded buffer, as a session).
// Returns false on a parse error or when the input ends first.
bool feed(RequestReader& reader, boost::beast::flat_buffer& buffer, std::string_view& input,
          std::size_t step, bool header_only) {
  while (header_only ? !reader.is_header_done() : !reader.is_done()) {
    if (buffer.size() > 0) {  // what the last read left over
      boost::beast::error_code ec;
      const std::size_t used = reader.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec && ec != http::error::need_more) return false;
      if (header_only ? reader.is_header_done() : reader.is_done()) break;
    }
    if (input.empty() || buffer.size() == buffer.max_size()) return false;
    const std::size_t n = std::min({step, input.size(), buffer.max_size() - buffer.size()});
    auto space = buffer.prepare(n);
    std::memcpy(space.data(), input.data(), n);
    buffer.commit(n);
    input.remove_prefix(n);
    boost::beast::error_code ec;
    for (;;) {
      const std::size_t used = reader.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) break;
      if (ec) return false;
      if (used == 0 || (header_only ? reader.is_header_done() : reader.is_done())) break;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 64;  // how the bytes arrive
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  RequestReader reader(kHeaderLimit);
  boost::beast::flat_buffer buffer(kHeaderLimit + 1024);
  if (!feed(reader, buffer, input, step, /*header_only=*/true)) return 0;
  Request& head = reader.request();
  authenticate(head);
  const bool is_head = head.method == "HEAD";
  Admission admission = router().admit(head);
  if (admission.refusal) {
    check_written(std::move(*admission.refusal), is_head);
    return 0;
  }
  reader.limit_body(router().body_limit(admission.route).bytes);
  if (!feed(reader, buffer, input, step, /*header_only=*/false)) return 0;
  Request request = std::move(reader.request());
  check_written(router().handle(request), is_head);
  return 0;
}
