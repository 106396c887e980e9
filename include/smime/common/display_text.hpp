// Text from outside (certificate names and emails, message headers) shown to a person: a
// terminal must never receive its control characters, so every human-readable output goes
// through escape_for_display().
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace smime {

// Length in bytes of the valid UTF-8 sequence at text[at] (1 to 4), or 0 when the bytes there
// are not one (invalid lead or continuation bytes, overlong forms, surrogates, > U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at) noexcept;

// Offset of the first byte that is not part of valid UTF-8, or nullopt.
std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept;

// True for C0 controls (U+0000-U+001F), DEL and C1 controls (U+0080-U+009F) at text[at];
// `length` is the sequence length from utf8_sequence_length().
bool is_control_character(std::string_view text, std::size_t at, std::size_t length) noexcept;

// `text` with every control character (C0 including CR, LF, TAB and ESC; DEL; C1) and every
// byte that is not valid UTF-8 written as \xNN (each byte of a C1 character). Printable
// UTF-8 is kept as it is.
std::string escape_for_display(std::string_view text);

}  // namespace smime
