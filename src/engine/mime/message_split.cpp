#include "message_split.hpp"

#include "header_block.hpp"
#include "header_folding.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime::detail {

RawSplit split_raw(std::string_view message, bool fold_outer_headers) {
  HeaderBlock block = scan_message_headers(message);
  RawSplit split;
  for (const HeaderField& field : block.fields) {
    std::string_view raw = message.substr(field.begin, field.end - field.begin);
    if (is_mime_version(field.name)) continue;
    if (is_content_field(field.name)) {
      split.content_fields.append(raw);
      // A field cut off by the end of the input still needs its line break.
      if (raw.back() != '\n') split.content_fields.append("\r\n");
      if (iequals(field.name, "content-type")) split.has_content_type = true;
      continue;
    }
    if (iequals(field.name, "from")) split.has_from = true;
    std::string text = canonicalize_line_endings(raw);
    if (raw.back() != '\n') text.append("\r\n");
    if (fold_outer_headers && has_long_line(text)) text = fold_header_field(text);
    split.outer_headers.append(text);
  }
  split.body = message.substr(block.body_begin);
  return split;
}

}  // namespace smime::engine::mime::detail
