#include "smime/app/access.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace smime::app {

std::optional<store::ApiToken> AccessUseCases::authenticate(std::string_view secret) noexcept {
  try {
    return deps_.api_tokens.authenticate(secret);
  } catch (const std::exception& e) {
    spdlog::error("API token check failed: {}", e.what());
  } catch (...) {
    spdlog::error("API token check failed");
  }
  return std::nullopt;
}

bool AccessUseCases::failure_to_record(std::string_view peer) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  const std::string address(peer);
  auto it = last_by_address_.find(address);
  const bool address_quiet =
      it == last_by_address_.end() || now - it->second >= limits_.per_address;
  const bool log_quiet = !recorded_any_ || now - last_recorded_ >= limits_.overall;
  if (!address_quiet || !log_quiet) {
    ++left_out_;
    return false;
  }
  if (last_by_address_.size() >= limits_.tracked_addresses) {
    // Forget addresses whose interval is over; if none is, the oldest one.
    std::erase_if(last_by_address_,
                  [&](const auto& entry) { return now - entry.second >= limits_.per_address; });
    if (last_by_address_.size() >= limits_.tracked_addresses) {
      last_by_address_.erase(
          std::min_element(last_by_address_.begin(), last_by_address_.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
  }
  last_by_address_[address] = now;
  last_recorded_ = now;
  recorded_any_ = true;
  return true;
}

void AccessUseCases::record_failure(std::string_view peer, std::string_view reason) {
  std::uint64_t left_out = 0;
  {
    std::lock_guard lock(mutex_);
    left_out = std::exchange(left_out_, 0);
  }
  audit::AuditEvent event;
  event.actor = "anonymous";
  event.direction = audit::Direction::admin;
  event.operation = "auth.failed";
  event.status = audit::Status::failed;
  event.detail = std::string(reason) + " from " + std::string(peer.empty() ? "?" : peer);
  if (left_out > 0) {
    event.detail += "; " + std::to_string(left_out) + " more failed authentication(s) since the " +
                    "last entry were not recorded";
  }
  try {
    deps_.audit.record(event);
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    left_out_ += left_out + 1;  // counted in the next entry instead
    spdlog::warn("could not record a failed authentication: {}", e.what());
  }
}

}  // namespace smime::app
