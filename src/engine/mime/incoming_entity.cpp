// split_incoming: the received entity exactly as it arrived, so a signature over it still
// verifies; only the header fields are brought to CRLF.
#include "message_split.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {

IncomingSplit split_incoming_in_place(std::string&& message) {
  detail::RawSplit split = detail::split_raw(message);
  const auto body_begin = static_cast<std::size_t>(split.body.data() - message.data());
  std::string entity_header = canonicalize_line_endings(split.content_fields);
  entity_header += "\r\n";
  IncomingSplit out;
  out.replaced_header = message.substr(0, body_begin);
  out.entity_header_size = entity_header.size();
  // Most often shorter than the header block it replaces (the outer fields leave it): in place.
  message.replace(0, body_begin, entity_header);
  out.parts = SplitMessage{std::move(split.outer_headers), std::move(message)};
  return out;
}

SplitMessage split_incoming(std::string_view message) {
  return split_incoming_in_place(std::string(message)).parts;
}

std::string restore_incoming(IncomingSplit&& split) {
  std::string message = std::move(split.parts.content_entity);
  message.replace(0, split.entity_header_size, split.replaced_header);
  return message;
}

}  // namespace smime::engine::mime
