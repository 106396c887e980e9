// Folding of outgoing header fields (RFC 5322 §2.1.1, §2.2.3): no line over 998 characters,
// and lines over 78 folded where the field has whitespace. A run without whitespace that
// would still exceed 998 is, in an unstructured field (Subject, Comments, X-...), re-written
// as RFC 2047 encoded-words, which decode to the same text; in a structured field (addresses,
// Message-ID, Date, ...) it cannot be folded, and the message is refused.
#pragma once

#include <string>
#include <string_view>

namespace smime::engine::mime::detail {

inline constexpr std::size_t kRecommendedLineLength = 78;
inline constexpr std::size_t kMaxLineLength = 998;

// True when a line of `field` is longer than 78 characters (so it needs folding).
bool has_long_line(std::string_view field);

// `field`: one complete header field (name, value, continuation lines), CRLF line endings,
// ending in CRLF. Returns it unchanged when every line is at most 78 characters long.
// Throws Error(invalid_input) for a structured field that cannot be folded under 998.
std::string fold_header_field(std::string_view field);

}  // namespace smime::engine::mime::detail
