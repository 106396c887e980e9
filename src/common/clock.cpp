#include "smime/common/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace smime {

std::int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_utc(std::int64_t unix_seconds, const char* format) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  const std::size_t n = std::strftime(buffer, sizeof buffer, format, &tm);
  return std::string(buffer, n);
}

std::string iso8601_ms(std::int64_t unix_ms) {
  const int millis = static_cast<int>(unix_ms % 1000);
  return format_utc(unix_ms / 1000, "%Y-%m-%dT%H:%M:%S") + "." +
         std::to_string(1000 + (millis < 0 ? 0 : millis)).substr(1) + "Z";
}

}  // namespace smime
