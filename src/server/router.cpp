#include "smime/server/router.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "smime/common/display_text.hpp"

namespace smime::server {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Number of literal segments matched (for preferring literal routes), or -1.
int match(std::string_view pattern, std::string_view path, PathParams& params) {
  const auto want = segments(pattern);
  const auto got = segments(path);
  if (want.size() != got.size()) return -1;
  int literal = 0;
  PathParams found;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (is_param(want[i])) {
      if (got[i].empty()) return -1;
      found.emplace(std::string(want[i].substr(1, want[i].size() - 2)), std::string(got[i]));
    } else if (want[i] == got[i]) {
      ++literal;
    } else {
      return -1;
    }
  }
  params = std::move(found);
  return literal;
}

const nlohmann::json kNull = nullptr;

std::optional<Response> check_parameters(const Route& route, const Target& target) {
  for (const auto& [name, value] : target.query) {
    if (std::find(route.parameters.begin(), route.parameters.end(), name) ==
        route.parameters.end()) {
      const std::string known = fmt::format("{}", fmt::join(route.parameters, ", "));
      return error_response(400, "unknown_parameter",
                            "Unknown query parameter '" + escape_for_display(name) + "'" +
                                (known.empty() ? "; this route takes none" : "; known: " + known));
    }
  }
  return std::nullopt;
}

std::optional<Response> check_media_type(const Route& route, const Request& request) {
  // A body sent to a route that takes none is ignored, as before.
  if (route.accepts.empty()) return std::nullopt;
  if (std::find(route.accepts.begin(), route.accepts.end(), "*/*") != route.accepts.end()) {
    return std::nullopt;
  }
  const auto content_type = request.headers.get("Content-Type");
  const std::string type = content_type ? media_type(*content_type) : std::string();
  if (std::find(route.accepts.begin(), route.accepts.end(), type) != route.accepts.end()) {
    return std::nullopt;
  }
  const std::string accepted = fmt::format("{}", fmt::join(route.accepts, ", "));
  return error_response(
      415, "unsupported_media_type",
      (type.empty() ? std::string("A Content-Type is required")
                    : "Content-Type " + escape_for_display(type) + " is not accepted") +
          "; use " + accepted);
}

}  // namespace

std::string_view to_string(Access access) noexcept {
  switch (access) {
    case Access::public_:
      return "public";
    case Access::any_role:
      return "any_role";
    case Access::read_certificates:
      return "read_certificates";
    case Access::messages:
      return "messages";
    case Access::logs:
      return "logs";
    case Access::admin:
      return "admin";
  }
  return "admin";
}

bool allows(Access access, store::ApiRole role) noexcept {
  using store::ApiRole;
  if (role == ApiRole::admin) return true;
  switch (access) {
    case Access::public_:
    case Access::any_role:
    case Access::read_certificates:
      return true;
    case Access::messages:
      return role == ApiRole::operator_;
    case Access::logs:
      return role == ApiRole::auditor;
    case Access::admin:
      return false;
  }
  return false;
}

const std::string& Call::param(std::string_view name) const {
  auto it = params.find(name);
  if (it == params.end()) {
    throw Error(ErrorCode::internal, "Route has no parameter " + std::string(name));
  }
  return it->second;
}

void Call::require_declared(std::string_view name) const {
  if (declared != nullptr &&
      std::find(declared->begin(), declared->end(), name) == declared->end()) {
    throw Error(ErrorCode::internal, "Route reads the undeclared parameter " + std::string(name));
  }
}

std::string Call::query(std::string_view name, std::string_view fallback) const {
  require_declared(name);
  auto it = target.query.find(std::string(name));
  return it == target.query.end() ? std::string(fallback) : it->second;
}

std::string Call::take_body() const {
  if (body_owner == nullptr) return request.body;
  return std::move(*body_owner);
}

std::optional<bool> Call::query_flag(std::string_view name) const {
  require_declared(name);
  auto it = target.query.find(std::string(name));
  if (it == target.query.end()) return std::nullopt;
  const std::string& v = it->second;
  if (v == "true" || v == "1" || v == "yes" || v.empty()) return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw Error(ErrorCode::invalid_input,
              "Query parameter '" + std::string(name) + "' must be true or false");
}

Router::Router(std::vector<Route> routes, BodyLimit body_limit, RequestObserver observer)
    : routes_(std::move(routes)),
      body_limit_(std::move(body_limit)),
      observer_(std::move(observer)) {}

const BodyLimit& Router::body_limit(const Route* route) const noexcept {
  return route != nullptr && route->body_limit ? *route->body_limit : body_limit_;
}

void Router::observe(const Request& request, std::string_view operation, const Response& response,
                     std::chrono::steady_clock::time_point started) const noexcept {
  if (!observer_) return;
  try {
    observer_({operation, request.method, response.status,
               std::chrono::steady_clock::now() - started, response.error});
  } catch (...) {
    // Metrics never change an answer.
  }
}

Admission Router::admit(const Request& head) const noexcept {
  const auto started = std::chrono::steady_clock::now();
  Admission admission;
  const Route* route = nullptr;
  try {
    Resolution resolution = resolve(head);
    route = resolution.route;
    if (!resolution.refusal) {
      admission.route = route;
      return admission;
    }
    admission.refusal = std::move(resolution.refusal);
  } catch (...) {
    admission.refusal = error_response(500, "internal", "Internal error");
  }
  observe(head, route ? std::string_view(route->operation) : std::string_view(), *admission.refusal,
          started);
  return admission;
}

Response Router::handle(const Request& request) const noexcept {
  return respond(request, nullptr);
}

Response Router::handle(Request& request) const noexcept {
  return respond(request, &request.body);
}

Response Router::respond(const Request& request, std::string* body) const noexcept {
  const auto started = std::chrono::steady_clock::now();
  std::string_view operation;
  Response response;
  try {
    response = dispatch(request, body, operation);
  } catch (const Error& e) {
    response = error_response(e);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", request.method, request.target.substr(0, request.target.find('?')),
                  e.what());
    response = error_response(500, "internal", "Internal error");
  } catch (...) {
    response = error_response(500, "internal", "Internal error");
  }
  observe(request, operation, response, started);
  return response;
}

const Route* Router::match_route(const Request& request, const Target& target, PathParams& params,
                                 std::optional<Response>& refusal) const {
  // HEAD is GET without the body (RFC 9110 9.3.2); the session leaves the body out.
  const std::string_view method =
      request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method);
  const Route* chosen = nullptr;
  int best = -1;
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    PathParams candidate;
    const int score = match(route.pattern, target.path, candidate);
    if (score < 0) continue;
    if (route.method != method) {
      if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
        allowed.push_back(route.method);
        if (route.method == "GET") allowed.emplace_back("HEAD");
      }
      continue;
    }
    if (score > best) {
      best = score;
      chosen = &route;
      params = std::move(candidate);
    }
  }
  if (chosen != nullptr) return chosen;
  if (allowed.empty()) {
    refusal =
        error_response(404, "not_found", "No such resource: " + escape_for_display(target.path));
    return nullptr;
  }
  const std::string allow = fmt::format("{}", fmt::join(allowed, ", "));
  refusal = error_response(
      405, "method_not_allowed",
      escape_for_display(request.method) + " is not allowed here; allowed: " + allow);
  refusal->headers.add("Allow", allow);
  return nullptr;
}

Router::Resolution Router::resolve(const Request& request) const {
  Resolution r;
  auto target = parse_target(request.target);
  if (!target) {
    r.refusal = error_response(400, "bad_request", "Malformed request target");
    return r;
  }
  r.target = std::move(*target);
  r.route = match_route(request, r.target, r.params, r.refusal);
  if (r.refusal) return r;
  const Route& route = *r.route;
  if (route.access != Access::public_) {
    if (!request.principal) {
      r.refusal = error_response(401, "unauthorized",
                                 request.credentials_given
                                     ? "The API token is invalid or revoked"
                                     : "An API token is required (Authorization: Bearer ...)");
      r.refusal->headers.add("WWW-Authenticate", "Bearer realm=\"smimed\"");
      return r;
    }
    if (!allows(route.access, request.principal->role)) {
      r.refusal =
          error_response(403, "insufficient_role",
                         "The role " + std::string(store::to_string(request.principal->role)) +
                             " may not call " + route.method + " " + route.pattern);
      return r;
    }
  }
  r.refusal = check_parameters(route, r.target);
  if (!r.refusal && (request.body_announced || !request.body.empty())) {
    r.refusal = check_media_type(route, request);
  }
  return r;
}

Response Router::dispatch(const Request& request, std::string* body,
                          std::string_view& operation) const {
  Resolution resolution = resolve(request);
  if (resolution.route) operation = resolution.route->operation;
  if (resolution.refusal) return std::move(*resolution.refusal);
  const Route& route = *resolution.route;
  if (const BodyLimit& limit = body_limit(&route);
      limit.bytes != 0 && request.body.size() > limit.bytes) {
    return error_response(413, "payload_too_large", too_large_message(limit));
  }
  nlohmann::json json;
  if (!request.body.empty() && !route.accepts.empty()) {
    const auto content_type = request.headers.get("Content-Type");
    if (content_type && media_type(*content_type) == "application/json") {
      json = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
      if (json.is_discarded()) {
        return error_response(400, "malformed_json", "The request body is not valid JSON");
      }
    }
  }
  const Principal* principal = request.principal ? &*request.principal : nullptr;
  Call call{request,
            resolution.target,
            resolution.params,
            principal,
            json.is_null() ? kNull : json,
            &route.parameters,
            body};
  try {
    return route.handler(call);
  } catch (const Error& e) {
    const int status = http_status_for(e.code());
    if (status >= 500) {
      spdlog::warn("{} {}: {}", route.method, route.pattern, e.detail());
    } else {
      spdlog::debug("{} {}: {}", route.method, route.pattern, e.what());
    }
    return error_response(e);
  }
}

}  // namespace smime::server
