// Composition of S/MIME entities and messages. Written by hand rather than through GMime's
// writer: the first part of multipart/signed must be the signed bytes verbatim, and the
// exact CRLF layout around the delimiters is what the receiver hashes.
#include <openssl/rand.h>

#include <cstdint>

#include "header_block.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {

namespace {

// A parameter value written without quotes must be an RFC 2045 token of our own making.
bool is_simple_token(std::string_view value) {
  if (value.empty() || value.size() > 64) return false;
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string random_boundary() {
  static constexpr char kHex[] = "0123456789abcdef";
  // OpenSSL's DRBG: no device open per message (std::random_device opens one each time).
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw_openssl(ErrorCode::crypto, "RAND_bytes failed");
  std::string boundary = "----=_smime_";
  for (unsigned char b : bytes) {
    boundary.push_back(kHex[b >> 4]);
    boundary.push_back(kHex[b & 0x0f]);
  }
  return boundary;
}

bool header_block_has_mime_version(std::string_view text) {
  std::size_t end = detail::find_body_begin(text);
  std::size_t pos = 0;
  while (pos < end) {
    if (detail::istarts_with(text.substr(pos), "mime-version")) {
      std::size_t i = pos + 12;
      while (i < end && (text[i] == ' ' || text[i] == '\t')) ++i;
      if (i < end && text[i] == ':') return true;
    }
    std::size_t lf = text.find('\n', pos);
    if (lf == std::string_view::npos) break;
    pos = lf + 1;
  }
  return false;
}

}  // namespace

std::string compose_multipart_signed(std::string_view content_entity,
                                     std::span<const unsigned char> signature_der,
                                     std::string_view micalg) {
  if (!is_simple_token(micalg)) {
    throw Error(ErrorCode::invalid_input, "invalid micalg \"" + std::string(micalg) + "\"");
  }
  if (signature_der.empty()) throw Error(ErrorCode::invalid_input, "the signature is empty");
  std::string boundary = random_boundary();
  while (content_entity.find(boundary) != std::string_view::npos) boundary = random_boundary();

  std::string signature = base64_lines(signature_der);
  std::string out;
  out.reserve(content_entity.size() + signature.size() + 512);
  out +=
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n"
      " micalg=";
  out += micalg;
  out += "; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "This is an S/MIME signed message\r\n\r\n";
  out += "--" + boundary + "\r\n";
  out += content_entity;
  // This CRLF belongs to the delimiter, so the first part is content_entity exactly.
  out += "\r\n--" + boundary + "\r\n";
  out +=
      "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=smime.p7s\r\n"
      "Content-Description: S/MIME Cryptographic Signature\r\n\r\n";
  out += signature;  // ends in CRLF, which serves as the close delimiter's line break
  out += "--" + boundary + "--\r\n";
  return out;
}

std::string compose_pkcs7_mime(std::span<const unsigned char> der, std::string_view smime_type) {
  if (!is_simple_token(smime_type)) {
    throw Error(ErrorCode::invalid_input, "invalid smime-type \"" + std::string(smime_type) + "\"");
  }
  if (der.empty()) throw Error(ErrorCode::invalid_input, "the CMS content is empty");
  std::string out;
  out.reserve((der.size() + 56) / 57 * 78 + 256);
  out += "Content-Type: application/pkcs7-mime; smime-type=";
  out += smime_type;
  out +=
      ";\r\n name=smime.p7m\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=smime.p7m\r\n\r\n";
  append_base64_lines(out, der);
  return out;
}

std::string join(std::string_view outer_headers, std::string_view entity) {
  // Tolerate a missing final CRLF or stray empty lines: either would end the header block.
  while (outer_headers.ends_with("\r\n\r\n") || outer_headers.ends_with("\n\n")) {
    outer_headers.remove_suffix(outer_headers.ends_with("\r\n\r\n") ? 2 : 1);
  }
  std::string out;
  out.reserve(outer_headers.size() + entity.size() + 24);
  out += outer_headers;
  if (!outer_headers.empty() && !outer_headers.ends_with('\n')) out += "\r\n";
  if (!header_block_has_mime_version(entity) && !header_block_has_mime_version(outer_headers)) {
    out += "MIME-Version: 1.0\r\n";
  }
  out += entity;
  return out;
}

}  // namespace smime::engine::mime
