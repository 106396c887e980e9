// Base64 for S/MIME bodies: 76-column lines ending in CRLF, written straight into the output
// (OpenSSL's encoder per line), so a 25 MB body is not held once more with LF endings and
// again after the CRLF expansion.
#include <openssl/evp.h>

#include <algorithm>

#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {
namespace {

constexpr std::size_t kBytesPerLine = 57;  // 76 characters

}  // namespace

void append_base64_lines(std::string& out, std::span<const unsigned char> data) {
  // Exactly the size it will have: growing past a reservation made with base64_lines_size
  // would reallocate (and copy) a 34 MB answer for the last short line.
  const std::size_t start = out.size();
  out.resize(start + base64_lines_size(data.size()));
  auto* at = reinterpret_cast<unsigned char*>(out.data() + start);
  for (std::size_t pos = 0; pos < data.size(); pos += kBytesPerLine) {
    const std::size_t n = std::min(kBytesPerLine, data.size() - pos);
    at += EVP_EncodeBlock(at, data.data() + pos, static_cast<int>(n));
    *at++ = '\r';
    *at++ = '\n';
  }
}

std::size_t base64_lines_size(std::size_t bytes) {
  const std::size_t full = bytes / kBytesPerLine;
  const std::size_t rest = bytes % kBytesPerLine;
  return full * 78 + (rest == 0 ? 0 : (rest + 2) / 3 * 4 + 2);
}

void Base64LineWriter::write(std::span<const unsigned char> data) {
  if (carried_ > 0) {
    const std::size_t n = std::min(kBytesPerLine - carried_, data.size());
    std::copy_n(data.begin(), n, carry_.begin() + static_cast<std::ptrdiff_t>(carried_));
    carried_ += n;
    data = data.subspan(n);
    if (carried_ < kBytesPerLine) return;
    append_base64_lines(out_, {carry_.data(), kBytesPerLine});
    carried_ = 0;
  }
  const std::size_t whole = data.size() - data.size() % kBytesPerLine;
  append_base64_lines(out_, data.first(whole));
  data = data.subspan(whole);
  std::copy(data.begin(), data.end(), carry_.begin());
  carried_ = data.size();
}

void Base64LineWriter::finish() {
  append_base64_lines(out_, {carry_.data(), carried_});
  carried_ = 0;
}

std::string base64_lines(std::span<const unsigned char> data) {
  std::string out;
  append_base64_lines(out, data);
  return out;
}

}  // namespace smime::engine::mime
