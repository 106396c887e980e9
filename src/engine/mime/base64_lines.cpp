// Base64 for S/MIME bodies: GMime's encoder (76-column lines ending in LF), then CRLF.
#include "gmime_support.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {

std::string base64_lines(std::span<const unsigned char> data) {
  std::string encoded = detail::transfer_encode(
      std::string_view(reinterpret_cast<const char*>(data.data()), data.size()),
      GMIME_CONTENT_ENCODING_BASE64);
  // The encoder only emits LF line breaks, so this is a plain LF -> CRLF expansion.
  return canonicalize_line_endings(encoded);
}

}  // namespace smime::engine::mime
