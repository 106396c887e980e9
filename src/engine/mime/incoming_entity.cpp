// split_incoming: the received entity exactly as it arrived, so a signature over it still
// verifies; only the header fields are brought to CRLF.
#include "message_split.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {

SplitMessage split_incoming(std::string_view message) {
  detail::RawSplit split = detail::split_raw(message);
  std::string entity = canonicalize_line_endings(split.content_fields);
  entity += "\r\n";
  entity += split.body;
  return SplitMessage{std::move(split.outer_headers), std::move(entity)};
}

}  // namespace smime::engine::mime
