// The admin web UI's files, served under /admin/ from one directory (the web root). Only
// regular files inside the root are served: ".." and "." segments, encoded or not, empty
// segments, backslashes and hidden files are refused, and a symlink that resolves outside the
// root is not followed. Every answer carries the UI's security headers (strict CSP).
#pragma once

#include <filesystem>
#include <optional>

#include "smime/server/http.hpp"

namespace smime::server {

class StaticSite {
 public:
  // An empty or missing root disables the UI (404 under /admin/).
  explicit StaticSite(const std::filesystem::path& root);

  // nullopt when the request is not for /admin or below (the API router answers it).
  std::optional<Response> serve(const Request& request) const;
  // True when serve() answers this target (under /admin/), whatever its outcome.
  static bool owns(std::string_view target) noexcept;

 private:
  Response file(const std::filesystem::path& relative) const;

  std::filesystem::path root_;  // canonical; empty when disabled
};

// Content-Security-Policy and friends for the web UI: no inline script or style, nothing from
// another origin, no framing.
void add_ui_security_headers(Response& response);

// For every API answer: no MIME sniffing, no framing, no caching of keys or certificates.
void add_api_security_headers(Response& response);

}  // namespace smime::server
