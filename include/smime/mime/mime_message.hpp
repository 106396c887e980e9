// MIME side of the S/MIME engine (SPEC §7), on GMime 3: splitting an RFC 5322 message into the
// headers that stay outside and the content entity that is signed or encrypted, making that
// entity transport-safe and canonical, composing multipart/signed and application/pkcs7-mime
// messages, and recognising what an incoming entity is.
//
// Byte-exactness matters here: the signed bytes must be exactly the bytes a receiver
// hashes, so composition is done on canonical (CRLF) text and parts that are already 7-bit
// safe are not re-encoded.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smime/mime/base64_body.hpp"
#include "smime/mime/limits.hpp"

namespace smime::engine::mime {

// Addresses of a message's header, addr-spec only, lowercased, groups flattened, in header
// order, duplicates removed within each list.
struct MessageAddresses {
  std::vector<std::string> from;
  std::vector<std::string> sender;
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::vector<std::string> bcc;
  std::string message_id;  // without <>, empty when absent
  std::string subject;     // decoded (RFC 2047) to UTF-8
  // How many From and Sender fields the header has (RFC 5322 allows each at most once).
  std::size_t from_fields = 0;
  std::size_t sender_fields = 0;
};

struct SplitMessage {
  // The header fields that stay outside the S/MIME wrapping (From, To, Subject, Received,
  // X-*, ...): every field except MIME-Version and Content-*, raw (folding and RFC 2047
  // encoded-words kept), each line ending in CRLF. No trailing empty line.
  std::string outer_headers;
  // The content entity: the Content-* fields, an empty line, the body. CRLF line endings.
  std::string content_entity;
};

// For outgoing mail: splits the message and prepares the content entity for signing:
// - line endings canonicalised to CRLF (bare LF and bare CR become CRLF);
// - every leaf part whose body is not 7-bit safe (8-bit bytes, NUL, lines over 998 octets,
//   or Content-Transfer-Encoding 8bit/binary with such content) is re-encoded:
//   quoted-printable for text/*, base64 otherwise; other parts keep their bytes;
// - a message without Content-Type gets "Content-Type: text/plain; charset=us-ascii" (or
//   charset=utf-8 when the body has 8-bit bytes, then also made 7-bit safe);
// - nested multiparts, message/rfc822 attachments and their preamble/epilogue keep their
//   bytes apart from the line-ending canonicalisation;
// - outer header lines longer than 78 characters are folded (header_folding.hpp).
// Throws Error(invalid_input) when the input is not an RFC 5322 message: empty, no header
// block, a first line that is not a header field, or no From; Error(limit_exceeded) when the
// entity has more MIME parts or deeper nesting than `limits` allow.
SplitMessage prepare_outgoing(std::string_view message, const Limits& limits = {});
// The same with the message taken over: its buffer becomes the entity (a large message is not
// copied once more).
SplitMessage prepare_outgoing_in_place(std::string&& message, const Limits& limits = {});

// The header block of a message (its fields and the empty line after them); Error(invalid_input)
// as above when it is not a message.
std::string_view header_block(std::string_view message);

// For incoming mail: the same split without any re-encoding; the entity keeps its bytes
// exactly (only header lines are not touched). Throws Error(invalid_input) like above
// (From is not required).
SplitMessage split_incoming(std::string_view message);

// The same with the message taken over: its buffer becomes the entity, only its header block
// is rewritten (a large message is not copied). `replaced_header` gets the bytes the entity's
// header replaced, so restore_incoming can give back the message exactly as it arrived.
struct IncomingSplit {
  SplitMessage parts;
  std::string replaced_header;
  std::size_t entity_header_size = 0;  // the entity's Content-* fields and empty line
};
IncomingSplit split_incoming_in_place(std::string&& message);
// The message as it arrived, from an untouched entity of `split` (its buffer is reused).
std::string restore_incoming(IncomingSplit&& split);

// Error(limit_exceeded) when the From, Sender, To, Cc and Bcc fields name more than
// max_addresses mailboxes (counted before de-duplication, which takes linear time).
MessageAddresses parse_addresses(std::string_view message,
                                 std::size_t max_addresses = Limits{}.addresses);
// From, To, Cc and Bcc in that order (the addresses an audit entry names).
std::vector<std::string> all_addresses(const MessageAddresses& addresses);

// Joins outer headers and an entity into a complete message:
//   outer_headers + "MIME-Version: 1.0\r\n" + entity.
// An entity whose header block already has MIME-Version is not given a second one.
std::string join(std::string_view outer_headers, std::string_view entity);
// The same in the entity's own buffer (a large entity is not copied once more).
std::string join_in_place(std::string_view outer_headers, std::string&& entity);

// A multipart/signed entity (RFC 8551 §3.5.3): content_entity verbatim as the first part,
// the detached signature base64 (76-column lines) as application/pkcs7-signature;
// name=smime.p7s with Content-Disposition attachment. micalg e.g. "sha-256". The boundary is
// random and checked not to occur in content_entity. CRLF line endings.
std::string compose_multipart_signed(std::string_view content_entity,
                                     std::span<const unsigned char> signature_der,
                                     std::string_view micalg);

// compose_multipart_signed in two pieces, for content that is not copied between them:
// head + content_entity + tail is the entity.
struct SignedFrame {
  std::string head;
  std::string tail;
};
SignedFrame multipart_signed_frame(std::string_view content_entity,
                                   std::span<const unsigned char> signature_der,
                                   std::string_view micalg);

// The header block (with its empty line) of compose_pkcs7_mime's entity.
std::string pkcs7_mime_header(std::string_view smime_type);

// An application/pkcs7-mime entity; smime_type is "signed-data", "enveloped-data" or
// "authEnveloped-data". name=smime.p7m, Content-Disposition attachment, base64 body.
std::string compose_pkcs7_mime(std::span<const unsigned char> der, std::string_view smime_type);

enum class EntityKind {
  plain,             // anything that is not S/MIME
  multipart_signed,  // multipart/signed with protocol application/(x-)pkcs7-signature
  pkcs7_mime,        // application/(x-)pkcs7-mime, or application/octet-stream with a .p7m name
  signature_only,    // a bare application/(x-)pkcs7-signature entity (nothing to verify it on)
};

struct ClassifiedEntity {
  EntityKind kind = EntityKind::plain;
  std::string content_type;  // lowercased type/subtype
  std::string smime_type;    // smime-type parameter, lowercased, empty when absent
  std::string micalg;        // multipart/signed only
  // multipart/signed: the first part exactly as it is between the boundary delimiters
  // (RFC 1847: from after the CRLF of the first delimiter line to before the CRLF that
  // precedes the next delimiter), with line endings canonicalised to CRLF.
  std::string signed_content;
  // SignedContent::in_entity and the first part already canonical: signed_content stays empty
  // and the bytes are entity[signed_begin, signed_end) (no copy of a large part).
  bool signed_in_entity = false;
  std::size_t signed_begin = 0;
  std::size_t signed_end = 0;
  // multipart/signed: the decoded signature part; pkcs7_mime: the decoded body (base64 or
  // any other transfer encoding undone). Empty for plain.
  std::vector<unsigned char> cms_der;
  // Pkcs7Body::located and a base64 pkcs7_mime body: cms_der stays empty until
  // decode_located_body, and the body is entity[body_begin, body_end).
  bool body_located = false;
  std::size_t body_begin = 0;
  std::size_t body_end = 0;
};

// Throws Error(invalid_input) with a precise message for a broken S/MIME entity:
// multipart/signed without a second part or without a boundary, a signature part that is
// not application/(x-)pkcs7-signature, an empty pkcs7 body. A non-S/MIME entity is plain.
// Error(limit_exceeded) when the entity has more MIME parts or deeper nesting than `limits`.
enum class SignedContent {
  copied,     // signed_content always holds the first part
  in_entity,  // only when it needs canonicalisation; else signed_begin/signed_end
};
enum class Pkcs7Body {
  decoded,  // cms_der holds the decoded body
  located,  // a base64 pkcs7_mime body is only located (body_located), for decode_located_body
};
ClassifiedEntity classify(std::string_view entity, const Limits& limits = {},
                          SignedContent copy = SignedContent::copied,
                          Pkcs7Body pkcs7 = Pkcs7Body::decoded);
// Decodes the located body into classified.cms_der, handing back the pages of its whole lines
// (decode_base64_releasing); restore_base64 with what it returns writes them back. Throws
// Error(invalid_input) for an empty body, as classify does.
ReleasedBase64 decode_located_body(std::string& entity, ClassifiedEntity& classified);

// CRLF canonicalisation of arbitrary text (bare LF and bare CR become CRLF).
std::string canonicalize_line_endings(std::string_view text);
// The same appended to `out`.
void append_canonical_line_endings(std::string& out, std::string_view text);
// Whether every CR and LF of `text` is part of a CRLF (canonicalisation would not change it).
bool has_canonical_line_endings(std::string_view text);

// CRLF canonicalisation of an entity (a decrypted layer): its header block always, its body
// unless the entity's Content-Transfer-Encoding is binary (or a nested part declares binary),
// whose CR and LF bytes are data.
// An entity that is already canonical is returned as it is (moved, not copied).
std::string canonicalize_entity(std::string entity);

// Base64 in lines of at most 76 characters, each ending with CRLF.
std::string base64_lines(std::span<const unsigned char> data);
// The same appended to `out` (no temporary of the encoded size).
void append_base64_lines(std::string& out, std::span<const unsigned char> data);
// The size of base64_lines(bytes of `bytes` bytes).
std::size_t base64_lines_size(std::size_t bytes);

// append_base64_lines of everything written, appended as it arrives (streamed data):
// write() as often as needed, then finish() once.
class Base64LineWriter {
 public:
  explicit Base64LineWriter(std::string& out) : out_(out) {}
  void write(std::span<const unsigned char> data);
  void finish();

 private:
  std::string& out_;
  std::array<unsigned char, 57> carry_{};
  std::size_t carried_ = 0;
};

}  // namespace smime::engine::mime
