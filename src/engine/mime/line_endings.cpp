// CRLF canonicalisation (RFC 5322 / RFC 8551 §3.1.1): the form that is signed and sent.
#include <cstring>

#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {

std::string canonicalize_line_endings(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Copy runs without CR/LF in one go: the 25 MB attachment case must stay fast.
    std::size_t next = text.find_first_of("\r\n", pos);
    if (next == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, next - pos));
    out.append("\r\n");
    pos = (text[next] == '\r' && next + 1 < text.size() && text[next + 1] == '\n') ? next + 2
                                                                                   : next + 1;
  }
  return out;
}

}  // namespace smime::engine::mime
