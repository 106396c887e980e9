// Online revocation sources for verification (issue 16 items 3 and 4): CRLs fetched from the
// certificates' CRL distribution points and OCSP responders named in their Authority
// Information Access, both over plain HTTP. The engine decides what to ask and judges the
// answers; the transport is an interface, so that the composition root hands in the real client
// (smime/app/http_client.hpp) and the engine stays free of sockets.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace smime::engine {

// Bounds of one HTTP exchange: the whole of it (connect, send, receive) within `timeout`, the
// body at most `max_body` bytes. Redirects are not followed.
struct HttpLimits {
  std::chrono::milliseconds timeout{5000};
  std::size_t max_body = std::size_t{20} * 1024 * 1024;
};

// GET when body is empty, else POST with content_type.
struct HttpRequest {
  std::string url;  // http:// only
  std::string content_type;
  std::vector<unsigned char> body;
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::vector<unsigned char> body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Throws smime::Error (invalid_input for a URL it does not fetch, limit_exceeded for a body
  // over the limit, io for connection failures and timeouts) with a reason fit for the audit
  // log. Any HTTP status is an answer, not an error.
  virtual HttpResponse exchange(const HttpRequest& request, const HttpLimits& limits) = 0;
};

// [revocation] in the configuration.
struct RevocationSettings {
  bool fetch_crls = true;  // fetch CRLs from http:// distribution points
  bool ocsp = true;        // ask the OCSP responder of the AIA first
  // Fetched CRLs are fetched again this long before their nextUpdate.
  std::chrono::seconds refresh_margin{3600};
  // A URL that failed is not asked again for this long, doubled after each further failure
  // up to max_backoff.
  std::chrono::seconds failure_backoff{60};
  std::chrono::seconds max_backoff{3600};
  HttpLimits limits;
};

// One fetch or query, reported to the listener (audit entries, logs).
struct RevocationEvent {
  std::string kind;  // "crl" or "ocsp"
  std::string url;
  bool ok = false;
  bool refresh = false;  // a CRL fetched again before its nextUpdate by the refresher
  std::string issuer;    // CRL: its issuer (when known); OCSP: the certificate's issuer
  std::string reason;    // what failed, or what was fetched
};
using RevocationListener = std::function<void(const RevocationEvent&)>;

// Fetches and queries so far (a metrics counter).
struct RevocationCounts {
  std::uint64_t crl_ok = 0, crl_failed = 0, ocsp_ok = 0, ocsp_failed = 0;
};

}  // namespace smime::engine
