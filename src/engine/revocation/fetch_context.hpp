// What CRL fetching and OCSP share: the HTTP client, the settings, the negative cache of URLs
// that failed, the listener (audit entries) and the counters (metrics).
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smime/engine/revocation.hpp"
#include "url_backoff.hpp"

namespace smime::engine::revocation {

// The first http:// URL of a list, or why none is fetched (every other scheme is skipped).
struct UrlChoice {
  std::vector<std::string> urls;  // at most kMaxUrls
  std::string skipped;            // "ldap://... is not fetched (only http:// URLs are)"
};
inline constexpr std::size_t kMaxUrls = 3;  // per certificate: a hostile one may name many

class FetchContext {
 public:
  FetchContext(std::shared_ptr<HttpClient> http, RevocationSettings settings,
               RevocationListener listener)
      : http_(std::move(http)),
        settings_(settings),
        listener_(std::move(listener)),
        backoff_(settings_.failure_backoff, settings_.max_backoff) {}

  const RevocationSettings& settings() const noexcept { return settings_; }
  HttpClient& http() noexcept { return *http_; }
  UrlBackoff& backoff() noexcept { return backoff_; }

  // Counts the event and hands it to the listener (whose failures are not the fetch's).
  void report(const RevocationEvent& event) noexcept;
  RevocationCounts counts() const noexcept;

  // Whether the URL is one to fetch (http://, bounded length, no control characters).
  static bool fetchable(const std::string& url);
  // The fetchable URLs of a list (at most `most`), and why the others are skipped.
  static UrlChoice choose(const std::vector<std::string>& urls);

 private:
  std::shared_ptr<HttpClient> http_;
  RevocationSettings settings_;
  RevocationListener listener_;
  UrlBackoff backoff_;
  std::atomic<std::uint64_t> crl_ok_{0}, crl_failed_{0}, ocsp_ok_{0}, ocsp_failed_{0};
};

}  // namespace smime::engine::revocation
