// Just enough RFC 5322 / MIME handling for the interop tests: building the messages the peers'
// raw CMS output travels in, and taking our messages apart byte-exactly (RFC 1847) for peers
// that only read DER. Deliberately independent of the engine's MIME code, so a bug there cannot
// hide behind the same bug here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smime::test::interop {

// Base64 with CRLF line breaks every 76 characters (RFC 2045).
std::string base64_encode(std::string_view data);
// Ignores whitespace; throws std::runtime_error on anything else that is not base64.
std::string base64_decode(std::string_view text);
// Bare LF becomes CRLF; existing CRLF stays (what an SMTP relay does to a message).
std::string to_crlf(std::string_view text);

struct Entity {
  std::string headers;  // the header block including its last line break, without the empty line
  std::string body;     // everything after the empty line
};
// Splits at the first empty line (CRLF CRLF, or LF LF for peers that write bare LF).
Entity split_entity(std::string_view entity);
// The unfolded value of the first header `name` (case-insensitive), without leading blanks.
std::optional<std::string> header_value(std::string_view headers, std::string_view name);
// The value of a Content-Type parameter (case-insensitive name, quotes removed).
std::optional<std::string> header_parameter(std::string_view value, std::string_view name);
// The media type of a Content-Type value, lowercase ("multipart/signed").
std::string media_type(std::string_view content_type);

// The body parts of a multipart body, each exactly the bytes between the CRLF that ends a
// delimiter line and the CRLF that precedes the next delimiter (RFC 2046 §5.1.1).
std::vector<std::string> multipart_parts(std::string_view body, std::string_view boundary);

struct SignedParts {
  std::string signed_content;  // first part: the bytes the signature covers (RFC 1847)
  std::string signature_der;   // second part, base64-decoded
};
// Takes a complete multipart/signed message apart; throws if it is not one.
SignedParts split_multipart_signed(std::string_view message);
// The DER inside a complete application/pkcs7-mime message; throws if it is not one.
std::string pkcs7_mime_der(std::string_view message);

// Outer headers of a test message (From, To, Subject, Date, Message-ID, MIME-Version).
struct Envelope {
  std::string from;
  std::vector<std::string> to;
  std::string subject = "Interop test";
};
std::string outer_headers(const Envelope& envelope);

// A complete message: outer headers followed by a MIME entity (its headers and body).
std::string message_with_entity(const Envelope& envelope, std::string_view entity);
// An application/pkcs7-mime entity around DER (base64), as a mail client writes it.
std::string pkcs7_mime_entity(std::string_view smime_type, std::string_view der);
// The entity without any header field called `name` (e.g. openssl's MIME-Version line, which
// the outer headers already carry).
std::string without_header(std::string_view entity, std::string_view name);
// A complete application/pkcs7-mime message around DER, as a mail client sends it.
std::string pkcs7_mime_message(const Envelope& envelope, std::string_view smime_type,
                               std::string_view der);
// A complete multipart/signed message: content entity plus a detached signature.
std::string multipart_signed_message(const Envelope& envelope, std::string_view content_entity,
                                     std::string_view signature_der, std::string_view micalg);

}  // namespace smime::test::interop
