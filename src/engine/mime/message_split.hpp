// The split shared by outgoing and incoming mail: header fields that stay outside, the
// Content-* fields (raw, original line endings) and the body, found by the header scanner.
#pragma once

#include <string>
#include <string_view>

namespace smime::engine::mime::detail {

struct RawSplit {
  std::string outer_headers;   // canonical CRLF, MIME-Version dropped
  std::string content_fields;  // raw Content-* fields, each ending in a line break
  std::string_view body;       // into the input message
  bool has_content_type = false;
  bool has_from = false;
};

// Throws Error(invalid_input) when the input is not an RFC 5322 message. With
// fold_outer_headers, outer fields with lines over 78 characters are folded (outgoing mail).
RawSplit split_raw(std::string_view message, bool fold_outer_headers = false);

}  // namespace smime::engine::mime::detail
