// smimed's routing: a pure function from a request (with its authenticated principal) to a
// response. The route table says, per method and path pattern, who may call it and which
// request bodies it takes; the router answers everything the table rules out itself:
//   unknown path 404, wrong method 405 (with Allow), missing or bad token 401, role 403,
//   wrong Content-Type 415, malformed JSON 400, body over the limit 413.
// Handlers throw smime::Error; it becomes {"error":{"code","message"}} with the status of
// its ErrorCode (see http_status_for). Nothing escapes handle().
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/server/http.hpp"

namespace smime::server {

// Who may call a route. admin may call everything; operator: message operations, preflight,
// reading certificates; auditor: reading certificates and logs.
enum class Access {
  public_,            // no token (GET /healthz only)
  any_role,           // any valid token (the OpenAPI document)
  read_certificates,  // admin, operator, auditor
  messages,           // admin, operator
  logs,               // admin, auditor
  admin,              // admin
};
std::string_view to_string(Access access) noexcept;
bool allows(Access access, store::ApiRole role) noexcept;

using PathParams = std::map<std::string, std::string, std::less<>>;

// What a handler gets: the request, its decoded path and query, the path parameters of the
// pattern, the principal (never null on routes that need a token) and, for JSON bodies, the
// parsed document.
struct Call {
  const Request& request;
  const Target& target;
  const PathParams& params;
  const Principal* principal;
  const nlohmann::json& json;                          // null unless the body was application/json
  const std::vector<std::string>* declared = nullptr;  // the route's query parameters
  std::string* body_owner =
      nullptr;  // request.body, when the handler may take it (handle(Request&))

  const std::string& param(std::string_view name) const;
  // A query parameter; `fallback` when absent. Reading one the route does not declare is a
  // programming error (Error(internal)): the router refuses undeclared ones.
  std::string query(std::string_view name, std::string_view fallback = {}) const;
  // "true"/"false"/"1"/"0"/"yes"/"no"; nullopt when absent; Error(invalid_input) otherwise.
  std::optional<bool> query_flag(std::string_view name) const;
  std::string actor() const { return principal ? principal->actor : std::string("anonymous"); }
  // The body moved out of the request when the router was given it to change (a large message
  // is then not held twice), else a copy. request.body is empty afterwards in the first case.
  std::string take_body() const;

 private:
  void require_declared(std::string_view name) const;
};

using Handler = std::function<Response(const Call&)>;

struct Route {
  std::string method;   // "GET", "POST", "PUT", "DELETE"
  std::string pattern;  // "/api/v1/certificates/{fingerprint}" (a {name} matches one segment)
  Access access = Access::admin;
  // Media types the body may have (lowercase). Empty: the route takes no body. "*/*": any.
  std::vector<std::string> accepts;
  std::string operation;  // OpenAPI operationId, also the metrics/audit operation name
  Handler handler;
  // The query parameters it reads; any other one is refused with 400 (never silently ignored).
  std::vector<std::string> parameters = {};
  // Answered on the server's priority lane, never queued behind message work (health).
  bool priority = false;
  // Its own bound on the body (incoming mail is larger than what it was made from); unset:
  // the router's.
  std::optional<BodyLimit> body_limit = {};
};

// Called once per routed request (metrics); operation is empty when no route matched.
struct RequestRecord {
  std::string_view operation;
  std::string_view method;
  int status = 0;
  std::chrono::steady_clock::duration elapsed{};
  std::optional<ErrorCode> error;  // the Error the answer is for; unset for every other answer
};
using RequestObserver = std::function<void(const RequestRecord&)>;

// What the router decides from a request's head alone (before its body is read).
struct Admission {
  std::optional<Response> refusal;  // the answer, when the request goes no further
  const Route* route = nullptr;     // the route it is for, when admitted
};

class Router {
 public:
  explicit Router(std::vector<Route> routes, BodyLimit body_limit = {},
                  RequestObserver observer = nullptr);

  // Everything the head decides: 400 bad target or query parameter, 404, 405, 401, 403, 415
  // for the announced body. A refusal is reported to the observer like an answer of handle().
  Admission admit(const Request& head) const noexcept;
  // The whole request: the checks of admit() again, then the body and the handler.
  Response handle(const Request& request) const noexcept;
  // The same, and a handler may take the body over (Call::take_body).
  Response handle(Request& request) const noexcept;
  const std::vector<Route>& routes() const noexcept { return routes_; }
  // The bound on the body of a request for `route` (nullptr: the router's).
  const BodyLimit& body_limit(const Route* route) const noexcept;

 private:
  struct Resolution {
    const Route* route = nullptr;
    Target target;
    PathParams params;
    std::optional<Response> refusal;
  };
  Resolution resolve(const Request& request) const;
  const Route* match_route(const Request& request, const Target& target, PathParams& params,
                           std::optional<Response>& refusal) const;
  Response respond(const Request& request, std::string* body) const noexcept;
  Response dispatch(const Request& request, std::string* body, std::string_view& operation) const;
  void observe(const Request& request, std::string_view operation, const Response& response,
               std::chrono::steady_clock::time_point started) const noexcept;

  std::vector<Route> routes_;
  BodyLimit body_limit_;
  RequestObserver observer_;
};

// ---- responses ----
Response json_response(int status, const nlohmann::json& body);
Response error_response(int status, std::string_view code, std::string_view message,
                        const nlohmann::json& details = nullptr);
Response error_response(const Error& error);
Response no_content();
// 400 invalid_input, 403 forbidden, 404 not_found, 409 conflict, 422 bad_passphrase /
// unsupported / no_certificate, 503 token errors, 500 everything else.
int http_status_for(ErrorCode code) noexcept;

}  // namespace smime::server
