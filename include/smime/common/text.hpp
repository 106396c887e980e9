// ASCII case handling for protocol text (header names, addresses, hex): locale-independent,
// bytes above 0x7f left as they are.
#pragma once

#include <string>
#include <string_view>

namespace smime {

std::string ascii_lower(std::string_view text);
bool ascii_iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace smime
