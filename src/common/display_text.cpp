#include "smime/common/display_text.hpp"

namespace smime {
namespace {

bool in_range(std::string_view text, std::size_t at, unsigned char low, unsigned char high) {
  if (at >= text.size()) return false;
  const auto c = static_cast<unsigned char>(text[at]);
  return c >= low && c <= high;
}

void append_hex_escape(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0x0f];
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t at) noexcept {
  const auto c = static_cast<unsigned char>(text[at]);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return in_range(text, at + 1, 0x80, 0xbf) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const unsigned char low = c == 0xe0 ? 0xa0 : 0x80;   // no overlong forms
    const unsigned char high = c == 0xed ? 0x9f : 0xbf;  // no surrogates
    return in_range(text, at + 1, low, high) && in_range(text, at + 2, 0x80, 0xbf) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const unsigned char low = c == 0xf0 ? 0x90 : 0x80;
    const unsigned char high = c == 0xf4 ? 0x8f : 0xbf;  // nothing above U+10FFFF
    return in_range(text, at + 1, low, high) && in_range(text, at + 2, 0x80, 0xbf) &&
                   in_range(text, at + 3, 0x80, 0xbf)
               ? 4
               : 0;
  }
  return 0;
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

bool is_control_character(std::string_view text, std::size_t at, std::size_t length) noexcept {
  const auto c = static_cast<unsigned char>(text[at]);
  if (length == 1) return c < 0x20 || c == 0x7f;
  // U+0080-U+009F are encoded C2 80 .. C2 9F.
  return length == 2 && c == 0xc2 && static_cast<unsigned char>(text[at + 1]) <= 0x9f;
}

std::string escape_for_display(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0 || is_control_character(text, i, length)) {
      const std::size_t bytes = length == 0 ? 1 : length;
      for (std::size_t k = 0; k < bytes; ++k) {
        append_hex_escape(out, static_cast<unsigned char>(text[i + k]));
      }
      i += bytes;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

}  // namespace smime
