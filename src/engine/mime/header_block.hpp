// Hand-written scanning of a header block. The split into outer headers and content entity
// must keep every field byte for byte (folding, encoded-words, unusual spacing), which
// GMime's parsed header values do not (it strips CRs and unfolds), so the raw field ranges
// come from this scanner and GMime is used for what the fields mean.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "smime/common/text.hpp"

namespace smime::engine::mime::detail {

struct HeaderField {
  std::size_t begin = 0;  // offset of the field name
  std::size_t end = 0;    // offset after the line break of its last (continuation) line
  std::string_view name;  // as written
};

struct HeaderBlock {
  std::vector<HeaderField> fields;
  std::size_t body_begin = 0;  // after the empty line; the input size when there is none
};

// The header block of an RFC 5322 message. Throws Error(invalid_input) when the input is
// empty, has no header block, or a line of the block is neither a field nor a continuation.
HeaderBlock scan_message_headers(std::string_view message);

// Lenient: where the body of an entity begins (after the first empty line, or its size).
std::size_t find_body_begin(std::string_view entity);

// The end of the header field that starts at `begin` (its line and continuation lines).
std::size_t field_end(std::string_view data, std::size_t begin);

inline bool iequals(std::string_view a, std::string_view b) {
  return ascii_iequals(a, b);
}
bool istarts_with(std::string_view text, std::string_view prefix);

// Content-* fields belong to the entity; MIME-Version is dropped; the rest stays outside.
inline bool is_content_field(std::string_view name) {
  return istarts_with(name, "content-");
}
inline bool is_mime_version(std::string_view name) {
  return iequals(name, "mime-version");
}

}  // namespace smime::engine::mime::detail
