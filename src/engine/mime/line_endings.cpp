// CRLF canonicalisation (RFC 5322 / RFC 8551 §3.1.1): the form that is signed and sent.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "gmime_support.hpp"
#include "header_block.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {

void append_canonical_line_endings(std::string& out, std::string_view text) {
  // Runs without CR/LF are copied in one go, and both are found with memchr (vectorised): the
  // 25 MB attachment case must stay fast. (find_first_of("\r\n") calls memchr once per byte:
  // it was a fifth of smimed's CPU on a 25 MB message.) The next CR is remembered until passed.
  std::size_t next_cr = text.find('\r');
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (next_cr != std::string_view::npos && next_cr < pos) next_cr = text.find('\r', pos);
    const std::size_t next = std::min(text.find('\n', pos), next_cr);
    if (next == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, next - pos));
    out.append("\r\n");
    pos = (text[next] == '\r' && next + 1 < text.size() && text[next + 1] == '\n') ? next + 2
                                                                                   : next + 1;
  }
}

std::string canonicalize_line_endings(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  append_canonical_line_endings(out, text);
  return out;
}

namespace {

// Whether any of the eight bytes of `word` is CR or LF (the exact zero-byte test of each).
bool has_cr_or_lf(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t lf = word ^ (kOnes * '\n');
  const std::uint64_t cr = word ^ (kOnes * '\r');
  return ((((lf - kOnes) & ~lf) | ((cr - kOnes) & ~cr)) & kHigh) != 0;
}

}  // namespace

bool has_canonical_line_endings(std::string_view text) {
  // Every LF has a CR before it, and every CR an LF after it. One pass, eight bytes at a time:
  // a line of mail is some ten words, and only the word with its CRLF is looked at bytewise.
  const char* data = text.data();
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    if (i + 8 <= size) {
      std::uint64_t word = 0;
      std::memcpy(&word, data + i, 8);
      if (!has_cr_or_lf(word)) {
        i += 8;
        continue;
      }
    }
    for (const std::size_t stop = std::min(size, i + 8); i < stop; ++i) {
      if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) return false;
      if (data[i] == '\r' && (i + 1 >= size || data[i + 1] != '\n')) return false;
    }
  }
  return true;
}

namespace {

// The entity's Content-Transfer-Encoding, read by GMime from its header block alone.
GMimeContentEncoding transfer_encoding_of(std::string_view header_block) {
  std::string headers = canonicalize_line_endings(header_block);
  if (!headers.ends_with("\r\n\r\n")) headers += headers.ends_with("\r\n") ? "\r\n" : "\r\n\r\n";
  detail::ParsedPart parsed = detail::parse_part(headers);
  if (!GMIME_IS_PART(parsed.object.get())) return GMIME_CONTENT_ENCODING_DEFAULT;
  return g_mime_part_get_content_encoding(GMIME_PART(parsed.object.get()));
}

// Whether a nested part may be binary: a line "Content-Transfer-Encoding: binary" anywhere in
// the body (a text line that merely looks like one only costs the canonicalisation).
bool mentions_binary_part(std::string_view body) {
  constexpr std::string_view kField = "content-transfer-encoding:";
  for (std::size_t pos = 0; pos < body.size();) {
    const std::size_t lf = std::min(body.find('\n', pos), body.size());
    std::string_view line = body.substr(pos, lf - pos);
    if (detail::istarts_with(line, kField)) {
      line.remove_prefix(kField.size());
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      if (detail::istarts_with(line, "binary")) return true;
    }
    pos = lf + 1;
  }
  return false;
}

}  // namespace

std::string canonicalize_entity(std::string entity) {
  const std::string_view view = entity;
  const std::size_t body = detail::find_body_begin(view);
  const std::string_view header_block = view.substr(0, body);
  const bool binary = transfer_encoding_of(header_block) == GMIME_CONTENT_ENCODING_BINARY ||
                      mentions_binary_part(view.substr(body));
  // Our own output (and most mail) is canonical already: kept as it is, not copied.
  if (has_canonical_line_endings(binary ? header_block : view)) return entity;
  if (!binary) return canonicalize_line_endings(view);
  std::string out = canonicalize_line_endings(header_block);
  out.append(view.substr(body));
  return out;
}

}  // namespace smime::engine::mime
