#include "fetch_context.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "smime/common/display_text.hpp"

namespace smime::engine::revocation {

void FetchContext::report(const RevocationEvent& event) noexcept {
  if (event.kind == "ocsp") {
    ++(event.ok ? ocsp_ok_ : ocsp_failed_);
  } else {
    ++(event.ok ? crl_ok_ : crl_failed_);
  }
  if (!listener_) return;
  try {
    listener_(event);
  } catch (const std::exception& e) {
    spdlog::warn("revocation: reporting a {} event for {} failed: {}", event.kind, event.url,
                 e.what());
  } catch (...) {
    spdlog::warn("revocation: reporting a {} event failed", event.kind);
  }
}

RevocationCounts FetchContext::counts() const noexcept {
  return {crl_ok_.load(), crl_failed_.load(), ocsp_ok_.load(), ocsp_failed_.load()};
}

bool FetchContext::fetchable(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() <= kScheme.size() || url.size() > 2048) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != kScheme[i]) return false;
  }
  return std::none_of(url.begin(), url.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x21 || u == 0x7f;
  });
}

UrlChoice FetchContext::choose(const std::vector<std::string>& urls) {
  UrlChoice choice;
  for (const std::string& url : urls) {
    if (fetchable(url)) {
      if (choice.urls.size() < kMaxUrls) choice.urls.push_back(url);
    } else if (choice.skipped.empty()) {
      const std::string shown =
          escape_for_display(url.size() > 100 ? url.substr(0, 100) + "..." : url);
      choice.skipped = shown + " is not fetched (only http:// URLs are)";
    }
  }
  return choice;
}

}  // namespace smime::engine::revocation
