#include "smime/server/static_site.hpp"

#include <fstream>
#include <iterator>
#include <map>
#include <string_view>
#include <system_error>

#include "smime/server/router.hpp"

namespace smime::server {
namespace {

constexpr std::string_view kPrefix = "/admin";
constexpr std::uintmax_t kMaxFileSize = 16UL * 1024 * 1024;

std::string content_type_for(const std::filesystem::path& file) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  auto it = kTypes.find(file.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

// The path below /admin/ as safe segments; nullopt for anything that could leave the root.
std::optional<std::filesystem::path> safe_relative(std::string_view rest) {
  std::filesystem::path out;
  std::size_t start = 0;
  while (start <= rest.size()) {
    const auto slash = rest.find('/', start);
    const auto end = slash == std::string_view::npos ? rest.size() : slash;
    const std::string_view segment = rest.substr(start, end - start);
    if (segment.empty() || segment.front() == '.' ||
        segment.find_first_of("\\:\0", 0, 3) != std::string_view::npos) {
      return std::nullopt;
    }
    out /= std::string(segment);
    start = end + 1;
  }
  return out;
}

bool inside(const std::filesystem::path& root, const std::filesystem::path& candidate) {
  auto r = root.begin();
  auto c = candidate.begin();
  for (; r != root.end(); ++r, ++c) {
    if (c == candidate.end() || *r != *c) return false;
  }
  return true;
}

Response plain_error(int status, std::string_view code, std::string_view message) {
  Response r = error_response(status, code, message);
  add_ui_security_headers(r);
  return r;
}

}  // namespace

StaticSite::StaticSite(const std::filesystem::path& root) {
  std::error_code ec;
  if (root.empty() || !std::filesystem::is_directory(root, ec)) return;
  root_ = std::filesystem::canonical(root, ec);
  if (ec) root_.clear();
}

bool StaticSite::owns(std::string_view target) noexcept {
  if (target.substr(0, kPrefix.size()) != kPrefix) return false;
  const std::string_view after = target.substr(kPrefix.size());
  // "/administration" is not ours
  return after.empty() || after.front() == '/' || after.front() == '?' || after.front() == '%';
}

std::optional<Response> StaticSite::serve(const Request& request) const {
  const std::string_view raw = request.target;
  if (!owns(raw)) return std::nullopt;
  auto target = parse_target(raw);
  if (!target) return plain_error(400, "bad_request", "Malformed request target");
  if (target->path.substr(0, kPrefix.size()) != kPrefix) {
    return plain_error(400, "bad_request", "The path leaves /admin/");
  }
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = plain_error(405, "method_not_allowed", "The web UI is read-only; use GET");
    r.headers.add("Allow", "GET, HEAD");
    return r;
  }
  if (target->path == kPrefix) {
    Response r;
    r.status = 301;
    r.headers.add("Location", "/admin/");
    add_ui_security_headers(r);
    return r;
  }
  if (target->path[kPrefix.size()] != '/') {
    return plain_error(400, "bad_request", "The path leaves /admin/");
  }
  std::string rest = target->path.substr(kPrefix.size() + 1);
  if (rest.empty()) rest = "index.html";
  auto relative = safe_relative(rest);
  if (!relative) return plain_error(400, "bad_request", "The path leaves /admin/");
  return file(*relative);  // for HEAD the connection leaves the body out
}

Response StaticSite::file(const std::filesystem::path& relative) const {
  if (root_.empty()) return plain_error(404, "not_found", "The web UI is not installed");
  std::error_code ec;
  // Resolves symlinks: a link inside web/ pointing elsewhere is refused like "..".
  const auto resolved = std::filesystem::canonical(root_ / relative, ec);
  if (ec || !inside(root_, resolved) || !std::filesystem::is_regular_file(resolved, ec)) {
    return plain_error(404, "not_found", "No such file: /admin/" + relative.generic_string());
  }
  const auto size = std::filesystem::file_size(resolved, ec);
  if (ec || size > kMaxFileSize) {
    return plain_error(404, "not_found", "No such file: /admin/" + relative.generic_string());
  }
  std::ifstream in(resolved, std::ios::binary);
  std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) {
    return plain_error(500, "io", "Cannot read /admin/" + relative.generic_string());
  }
  Response r;
  r.status = 200;
  r.content_type = content_type_for(resolved);
  r.body = std::move(body);
  // Revalidated on each load, so an upgraded appliance never runs stale UI code.
  r.headers.add("Cache-Control", "no-cache");
  add_ui_security_headers(r);
  return r;
}

void add_ui_security_headers(Response& response) {
  response.headers.add("Content-Security-Policy",
                       "default-src 'none'; script-src 'self'; style-src 'self'; "
                       "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  response.headers.add("X-Content-Type-Options", "nosniff");
  response.headers.add("X-Frame-Options", "DENY");
  response.headers.add("Referrer-Policy", "no-referrer");
  response.headers.add("Cross-Origin-Opener-Policy", "same-origin");
}

void add_api_security_headers(Response& response) {
  response.headers.add("X-Content-Type-Options", "nosniff");
  response.headers.add("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  if (!response.headers.get("Cache-Control")) response.headers.add("Cache-Control", "no-store");
}

}  // namespace smime::server
