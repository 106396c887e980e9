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
  const std::size_t lines = (data.size() + kBytesPerLine - 1) / kBytesPerLine;
  const std::size_t start = out.size();
  out.resize(start + lines * 78);
  auto* at = reinterpret_cast<unsigned char*>(out.data() + start);
  for (std::size_t pos = 0; pos < data.size(); pos += kBytesPerLine) {
    const std::size_t n = std::min(kBytesPerLine, data.size() - pos);
    at += EVP_EncodeBlock(at, data.data() + pos, static_cast<int>(n));
    *at++ = '\r';
    *at++ = '\n';
  }
  out.resize(static_cast<std::size_t>(reinterpret_cast<char*>(at) - out.data()));
}

std::string base64_lines(std::span<const unsigned char> data) {
  std::string out;
  append_base64_lines(out, data);
  return out;
}

}  // namespace smime::engine::mime
