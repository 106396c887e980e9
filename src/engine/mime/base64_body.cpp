#include "smime/mime/base64_body.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "gmime_support.hpp"
#include "smime/common/error.hpp"
#include "smime/common/release_pages.hpp"

namespace smime::engine::mime {
namespace {

constexpr std::size_t kReleaseEvery = std::size_t{1} << 20;
constexpr std::size_t kLongestLine = 998;  // RFC 5322 §2.1.1

// 1 for the 64 characters of the alphabet, 0 for every other byte ('=' included).
constexpr std::array<unsigned char, 256> kAlphabet = [] {
  std::array<unsigned char, 256> table{};
  for (const char c : std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789+/")) {
    table[static_cast<unsigned char>(c)] = 1;
  }
  return table;
}();

// The first line's layout when the body's lines can be released: a multiple of 4 characters
// of the alphabet only (no padding), ended by CRLF or LF. line == 0 when they cannot.
ReleasedBase64 first_line_layout(std::string_view body) {
  ReleasedBase64 layout;
  const std::size_t lf = body.find('\n');
  if (lf == std::string_view::npos || lf == 0) return layout;
  const bool crlf = body[lf - 1] == '\r';
  const std::size_t line = crlf ? lf - 1 : lf;
  if (line == 0 || line % 4 != 0 || line > kLongestLine) return layout;
  layout.line = line;
  layout.crlf = crlf;
  return layout;
}

// Whether `at` is one whole line of the layout: `line` alphabet characters and the line end.
bool whole_line(const char* at, const ReleasedBase64& layout) {
  const char* end = at + layout.line;
  if (layout.crlf ? (end[0] != '\r' || end[1] != '\n') : end[0] != '\n') return false;
  unsigned all = 1;  // without a branch per character: lines are almost always whole
  for (const char* c = at; c != end; ++c) all &= kAlphabet[static_cast<unsigned char>(*c)];
  return all != 0;
}

// The end of the run of whole lines from `pos`, less the last of them: GMime's decoder undoes
// trailing '=' against the bytes it output in the same call, so the call that sees the end of
// the body is given a line's worth too.
std::size_t released_run_end(std::string_view entity, std::size_t pos, std::size_t end,
                             const ReleasedBase64& layout, std::size_t stride) {
  std::size_t run_end = pos;
  while (end - run_end >= stride && whole_line(entity.data() + run_end, layout)) run_end += stride;
  return run_end == pos ? pos : run_end - stride;
}

// GMime's base64 decoder over whole 4-character groups, appended to `out`.
void append_groups(std::vector<unsigned char>& out, std::string_view lines) {
  const std::size_t at = out.size();
  out.resize(at + lines.size() / 4 * 3 + 3);
  int state = 0;
  guint32 save = 0;
  const std::size_t n =
      g_mime_encoding_base64_decode_step(reinterpret_cast<const unsigned char*>(lines.data()),
                                         lines.size(), out.data() + at, &state, &save);
  out.resize(at + n);
}

}  // namespace

DecodedBase64 decode_base64_releasing(std::string& entity, std::size_t begin, std::size_t end) {
  if (begin > end || end > entity.size()) {
    throw Error(ErrorCode::internal, "decode_base64_releasing: the body is not in the entity");
  }
  DecodedBase64 out;
  out.bytes.reserve((end - begin) / 4 * 3 + 3);
  ReleasedBase64 layout = first_line_layout(std::string_view(entity).substr(begin, end - begin));
  std::size_t pos = begin;
  if (layout.line != 0) {
    const std::size_t stride = layout.line + (layout.crlf ? 2 : 1);
    const std::size_t run_end = released_run_end(entity, begin, end, layout, stride);
    // About a megabyte of whole lines at a time is decoded, then its pages handed back.
    const std::size_t chunk = std::max<std::size_t>(1, kReleaseEvery / stride) * stride;
    while (pos < run_end) {
      const std::size_t next = std::min(run_end, pos + chunk);
      append_groups(out.bytes, std::string_view(entity).substr(pos, next - pos));
      release_pages(entity.data() + pos, next - pos);
      pos = next;
    }
    layout.begin = begin;
    layout.end = pos;
    out.released = layout;
  }
  // GMime's decoder starts afresh at a whole number of 4-character groups: the bytes are those
  // it gives for the whole body.
  detail::append_decoded(out.bytes, std::string_view(entity).substr(pos, end - pos),
                         GMIME_CONTENT_ENCODING_BASE64);
  return out;
}

void restore_base64(std::string& entity, const ReleasedBase64& released,
                    std::span<const unsigned char> bytes) {
  if (released.empty()) return;
  const std::size_t stride = released.line + (released.crlf ? 2 : 1);
  const std::size_t bytes_per_line = released.line / 4 * 3;
  const std::size_t lines = (released.end - released.begin) / stride;
  if (released.end > entity.size() || bytes.size() < lines * bytes_per_line) {
    throw Error(ErrorCode::internal, "restore_base64: the decoded bytes do not cover the lines");
  }
  auto* at = reinterpret_cast<unsigned char*>(entity.data() + released.begin);
  for (std::size_t i = 0; i < lines; ++i) {
    // EVP_EncodeBlock writes a terminating NUL after the line: the line end overwrites it.
    at += EVP_EncodeBlock(at, bytes.data() + i * bytes_per_line, static_cast<int>(bytes_per_line));
    if (released.crlf) *at++ = '\r';
    *at++ = '\n';
  }
}

}  // namespace smime::engine::mime
