// Hexadecimal text for ids and fingerprints.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smime {

// Lowercase hex.
std::string to_hex(std::span<const unsigned char> bytes);
// Upper or lower case, optionally with ':' between every byte; nullopt on anything else.
std::optional<std::vector<unsigned char>> from_hex(std::string_view hex);
// 0..15 for a hex digit, -1 otherwise.
int hex_digit_value(char c) noexcept;

}  // namespace smime
