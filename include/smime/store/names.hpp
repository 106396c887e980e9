// Rules for the names and addresses administrators give things the store keeps (groups, API
// tokens): they end up in logs, headers and terminals, so they are short printable text.
#pragma once

#include <cstddef>
#include <string_view>

namespace smime::store {

inline constexpr std::size_t kMaxNameLength = 100;

// Error(invalid_input) "<what> must have 1 to 100 characters" / "must not hold control
// characters" (C0, DEL, and C1 as UTF-8) / "is not valid UTF-8".
void require_valid_name(std::string_view what, std::string_view name);

// Error(invalid_input) unless `address` is one addr-spec (local@domain): at most 254
// characters, no spaces, control characters or the delimiters of an address list.
void require_valid_address(std::string_view address);

}  // namespace smime::store
