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

SignedFrame multipart_signed_frame(std::string_view content_entity,
                                   std::span<const unsigned char> signature_der,
                                   std::string_view micalg) {
  if (!is_simple_token(micalg)) {
    throw Error(ErrorCode::invalid_input, "invalid micalg \"" + std::string(micalg) + "\"");
  }
  if (signature_der.empty()) throw Error(ErrorCode::invalid_input, "the signature is empty");
  std::string boundary = random_boundary();
  while (content_entity.find(boundary) != std::string_view::npos) boundary = random_boundary();

  SignedFrame frame;
  frame.head =
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n"
      " micalg=";
  frame.head += micalg;
  frame.head += "; boundary=\"" + boundary + "\"\r\n\r\n";
  frame.head += "This is an S/MIME signed message\r\n\r\n";
  frame.head += "--" + boundary + "\r\n";
  // This CRLF belongs to the delimiter, so the first part is content_entity exactly.
  frame.tail = "\r\n--" + boundary + "\r\n";
  frame.tail +=
      "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=smime.p7s\r\n"
      "Content-Description: S/MIME Cryptographic Signature\r\n\r\n";
  append_base64_lines(frame.tail, signature_der);  // ends in CRLF: the close delimiter's
  frame.tail += "--" + boundary + "--\r\n";
  return frame;
}

std::string compose_multipart_signed(std::string_view content_entity,
                                     std::span<const unsigned char> signature_der,
                                     std::string_view micalg) {
  const SignedFrame frame = multipart_signed_frame(content_entity, signature_der, micalg);
  std::string out;
  out.reserve(frame.head.size() + content_entity.size() + frame.tail.size());
  out += frame.head;
  out += content_entity;
  out += frame.tail;
  return out;
}

std::string pkcs7_mime_header(std::string_view smime_type) {
  if (!is_simple_token(smime_type)) {
    throw Error(ErrorCode::invalid_input, "invalid smime-type \"" + std::string(smime_type) + "\"");
  }
  std::string out = "Content-Type: application/pkcs7-mime; smime-type=";
  out += smime_type;
  out +=
      ";\r\n name=smime.p7m\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=smime.p7m\r\n\r\n";
  return out;
}

std::string compose_pkcs7_mime(std::span<const unsigned char> der, std::string_view smime_type) {
  std::string header = pkcs7_mime_header(smime_type);
  if (der.empty()) throw Error(ErrorCode::invalid_input, "the CMS content is empty");
  std::string out;
  out.reserve(header.size() + base64_lines_size(der.size()));
  out += header;
  append_base64_lines(out, der);
  return out;
}

namespace {

// What join() puts before the entity: the outer headers and, unless either side has one,
// MIME-Version.
std::string join_prefix(std::string_view outer_headers, std::string_view entity) {
  // Tolerate a missing final CRLF or stray empty lines: either would end the header block.
  while (outer_headers.ends_with("\r\n\r\n") || outer_headers.ends_with("\n\n")) {
    outer_headers.remove_suffix(outer_headers.ends_with("\r\n\r\n") ? 2 : 1);
  }
  std::string out;
  out.reserve(outer_headers.size() + 24);
  out += outer_headers;
  if (!outer_headers.empty() && !outer_headers.ends_with('\n')) out += "\r\n";
  if (!header_block_has_mime_version(entity) && !header_block_has_mime_version(outer_headers)) {
    out += "MIME-Version: 1.0\r\n";
  }
  return out;
}

}  // namespace

std::string join(std::string_view outer_headers, std::string_view entity) {
  std::string out = join_prefix(outer_headers, entity);
  out.reserve(out.size() + entity.size());
  out += entity;
  return out;
}

std::string join_in_place(std::string_view outer_headers, std::string&& entity) {
  const std::string prefix = join_prefix(outer_headers, entity);
  entity.insert(0, prefix);  // in its own buffer when the capacity allows
  return std::move(entity);
}

}  // namespace smime::engine::mime
