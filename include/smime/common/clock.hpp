// Wall-clock time as the appliance stores and shows it: unix seconds or milliseconds, printed
// in UTC.
#pragma once

#include <cstdint>
#include <string>

namespace smime {

std::int64_t unix_seconds_now();
std::int64_t unix_ms_now();

// strftime(format) of unix seconds in UTC ("%Y-%m-%d" gives "2024-05-01").
std::string format_utc(std::int64_t unix_seconds, const char* format);
// "2024-05-01T12:00:00.123Z"
std::string iso8601_ms(std::int64_t unix_ms);

}  // namespace smime
