// A large base64 body decoded while its pages are handed back to the kernel, so that a 35 MB
// S/MIME body and its 25 MB of DER are not both resident, and written back byte for byte when
// the message has to be returned as it came.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace smime::engine::mime {

// The lines of a body whose pages were handed back: whole lines of `line` characters (a multiple
// of 4, no padding) each followed by CRLF or LF, from entity offset `begin` to `end`. Each such
// line is the only base64 of its bytes, so they are re-encoded exactly from the decoded bytes,
// of which they are the first (end - begin) / stride * line / 4 * 3.
struct ReleasedBase64 {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t line = 0;
  bool crlf = false;
  bool empty() const noexcept { return begin == end; }
};

struct DecodedBase64 {
  std::vector<unsigned char> bytes;  // as GMime's base64 decoder gives them for the whole body
  ReleasedBase64 released;
};

// Decodes entity[begin, end). The leading run of lines that all have the first line's layout is
// decoded line by line and its pages released about every megabyte; the rest (at least the last
// whole line and what follows, or a body laid out any other way) is decoded by GMime and kept.
DecodedBase64 decode_base64_releasing(std::string& entity, std::size_t begin, std::size_t end);

// Writes the released lines back from the decoded bytes: entity is again what it was.
void restore_base64(std::string& entity, const ReleasedBase64& released,
                    std::span<const unsigned char> bytes);

}  // namespace smime::engine::mime
