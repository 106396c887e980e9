// prepare_outgoing: the content entity made canonical and 7-bit safe before it is signed.
//
// GMime finds the structure (which leaves exist, their types, transfer encodings and the
// offsets of their headers and contents); the output is then produced by editing the input:
// only the leaves that are not 7-bit safe get a new body and Content-Transfer-Encoding, every
// other byte is kept apart from CRLF canonicalisation. Re-serialising the GMime tree instead
// would not reproduce untouched parts byte for byte.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gmime_support.hpp"
#include "header_block.hpp"
#include "message_split.hpp"
#include "part_budget.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {

namespace {

using detail::iequals;

// RFC 5322 §2.1.1 / RFC 2045 §2.7: at most 998 octets per line, excluding CRLF.
constexpr std::size_t kMaxLine = 998;

bool has_8bit(std::string_view data) {
  return std::any_of(data.begin(), data.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Eight bytes at a time (a large attachment is scanned once per message): whether any byte
// has its high bit set or is NUL.
bool has_8bit_or_nul(std::string_view data) {
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  std::size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, data.data() + i, 8);
    if ((word & kHigh) != 0 || ((word - kOnes) & ~word & kHigh) != 0) return true;
  }
  for (; i < data.size(); ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (c >= 0x80 || c == 0) return true;
  }
  return false;
}

// Whether each line of `text` (a stretch without LF), also split at CR, has at most kMaxLine.
bool short_lines_between_crs(std::string_view text) {
  std::size_t line_length = 0;
  for (char c : text) {
    line_length = c == '\r' ? 0 : line_length + 1;
    if (line_length > kMaxLine) return false;
  }
  return true;
}

bool is_seven_bit_safe(std::string_view data) {
  if (has_8bit_or_nul(data)) return false;
  // A window of kMaxLine + 1 bytes that holds an LF has no line too long before its last LF:
  // memrchr jumps there, a dozen lines at a time. Only a window without LF is measured.
  for (std::size_t pos = 0; data.size() - pos > kMaxLine;) {
    const void* last_lf = memrchr(data.data() + pos, '\n', kMaxLine + 1);
    if (last_lf != nullptr) {
      pos = static_cast<std::size_t>(static_cast<const char*>(last_lf) - data.data()) + 1;
      continue;
    }
    const void* lf = std::memchr(data.data() + pos, '\n', data.size() - pos);
    const std::size_t end =
        lf == nullptr ? data.size()
                      : static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
    if (!short_lines_between_crs(data.substr(pos, end - pos))) return false;
    if (end == data.size()) break;
    pos = end + 1;
  }
  return true;
}

// Replace [begin, end) of the input with `text`; begin == end inserts.
struct Edit {
  std::size_t begin;
  std::size_t end;
  std::string text;
};

std::size_t content_begin(GMimeStream* stream) {
  return static_cast<std::size_t>(stream->bound_start);
}

std::size_t content_end(GMimeStream* stream, std::string_view data) {
  std::size_t end =
      stream->bound_end < 0 ? data.size() : static_cast<std::size_t>(stream->bound_end);
  std::size_t begin = content_begin(stream);
  // The line break before a boundary delimiter belongs to the delimiter (RFC 2046 §5.1.1).
  // GMime leaves the CR of a CRLF in the content when the rest of the input uses LF.
  if (end < data.size() && data[end] == '\n' && end > begin && data[end - 1] == '\r') --end;
  return std::min(end, data.size());
}

// The bytes a leaf stands for once its transfer encoding is undone.
std::string decoded_leaf(std::string_view raw, GMimeContentEncoding encoding, bool text) {
  switch (encoding) {
    case GMIME_CONTENT_ENCODING_BASE64:
    case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
    case GMIME_CONTENT_ENCODING_UUENCODE:
      return detail::transfer_decode(raw, encoding);
    case GMIME_CONTENT_ENCODING_BINARY:
      // Binary content is not line oriented: its CR and LF bytes are data.
      return text ? canonicalize_line_endings(raw) : std::string(raw);
    default:
      // 7bit/8bit content is lines; its canonical form has CRLF.
      return canonicalize_line_endings(raw);
  }
}

// Where a new header field goes: before the empty line that ends the leaf's header block.
Edit header_insertion(std::string_view data, std::size_t body_begin, std::string field) {
  std::size_t blank = body_begin;
  if (blank >= 1 && data[blank - 1] == '\n') {
    blank -= (blank >= 2 && data[blank - 2] == '\r') ? 2 : 1;
    if (blank == 0 || data[blank - 1] == '\n') return {blank, blank, std::move(field)};
  }
  // No empty line before the content (GMime ended the headers at a non-header line).
  return {body_begin, body_begin, std::move(field) + "\r\n"};
}

void reencode_leaf(GMimePart* part, std::string_view data, std::vector<Edit>& edits) {
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (wrapper == nullptr) return;
  GMimeStream* stream = g_mime_data_wrapper_get_stream(wrapper);
  if (stream == nullptr || stream->bound_start < 0) return;
  std::size_t begin = content_begin(stream);
  std::size_t end = content_end(stream, data);
  if (begin >= end) return;
  std::string_view raw = data.substr(begin, end - begin);

  GMimeContentEncoding encoding = g_mime_part_get_content_encoding(part);
  const bool text = detail::mime_type_of(GMIME_OBJECT(part)).starts_with("text/");
  // A non-text "binary" body would be corrupted by CRLF canonicalisation, so it is always
  // re-encoded; anything else only when it is not 7-bit safe.
  const bool binary_data = encoding == GMIME_CONTENT_ENCODING_BINARY && !text;
  if (!binary_data && is_seven_bit_safe(raw)) return;

  std::string decoded = decoded_leaf(raw, encoding, text);
  std::string body;
  const char* name = nullptr;
  if (text) {
    // GMime's QP encoder turns CRLF into hard line breaks, so the text stays line oriented.
    body = canonicalize_line_endings(
        detail::transfer_encode(decoded, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE));
    name = "quoted-printable";
  } else {
    body =
        canonicalize_line_endings(detail::transfer_encode(decoded, GMIME_CONTENT_ENCODING_BASE64));
    // Before a delimiter its own CRLF ends the last line; a second one would be an empty line.
    if (end < data.size() && body.ends_with("\r\n")) body.resize(body.size() - 2);
    name = "base64";
  }

  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(part));
  const int count = g_mime_header_list_get_count(headers);
  for (int i = 0; i < count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
    if (!iequals(g_mime_header_get_name(header), "content-transfer-encoding")) continue;
    gint64 offset = g_mime_header_get_offset(header);
    if (offset < 0 || static_cast<std::size_t>(offset) >= begin) continue;
    auto field_begin = static_cast<std::size_t>(offset);
    edits.push_back({field_begin, std::min(detail::field_end(data, field_begin), begin), ""});
  }
  edits.push_back(
      header_insertion(data, begin, std::string("Content-Transfer-Encoding: ") + name + "\r\n"));
  edits.push_back({begin, end, std::move(body)});
}

void collect_edits(GMimeObject* object, std::string_view data, std::vector<Edit>& edits) {
  // Already signed or encrypted content is opaque: re-encoding inside it would break it.
  if (GMIME_IS_MULTIPART_SIGNED(object) || GMIME_IS_MULTIPART_ENCRYPTED(object)) return;
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
      collect_edits(g_mime_multipart_get_part(multipart, i), data, edits);
    }
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (message != nullptr && g_mime_message_get_mime_part(message) != nullptr) {
      collect_edits(g_mime_message_get_mime_part(message), data, edits);
    }
  } else if (GMIME_IS_PART(object)) {
    reencode_leaf(GMIME_PART(object), data, edits);
  }
}

// The input with the edits applied; every byte outside the edits is CRLF-canonicalised.
std::string apply_edits(std::string_view data, std::vector<Edit>& edits) {
  // Insertions sort before a replacement that starts at the same offset.
  std::stable_sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    return (a.end == a.begin) && (b.end != b.begin);
  });
  std::size_t size = data.size() + 64;
  for (const Edit& edit : edits) size += edit.text.size();
  std::string out;
  out.reserve(size + size / 32);
  std::size_t pos = 0;
  for (const Edit& edit : edits) {
    if (edit.begin < pos) throw Error(ErrorCode::internal, "overlapping MIME edits");
    append_canonical_line_endings(out, data.substr(pos, edit.begin - pos));
    out.append(edit.text);
    pos = edit.end;
  }
  append_canonical_line_endings(out, data.substr(pos));
  return out;
}

// The trimmed value of a header field of `entity`.
std::string field_value(std::string_view entity, const detail::HeaderField& field) {
  const std::size_t colon = entity.find(':', field.begin + field.name.size());
  std::string_view value = entity.substr(colon + 1, field.end - colon - 1);
  while (!value.empty() && std::strchr(" \t\r\n", value.front()) != nullptr) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::strchr(" \t\r\n", value.back()) != nullptr) {
    value.remove_suffix(1);
  }
  return std::string(value);
}

// A single leaf with one Content-Type (read by GMime's own parser of it, so the entity is
// classified as the full parse would), a 7bit, 8bit, quoted-printable or base64 body (or
// none named) that is 7-bit safe: collect_edits would find nothing to change, so GMime's
// parse of the whole entity (a tenth of a signed message's CPU in the engine's profile) is
// skipped.
bool needs_no_edit(std::string_view entity) {
  detail::ensure_gmime();
  const detail::HeaderBlock block = detail::scan_message_headers(entity);
  const detail::HeaderField* type = nullptr;
  const detail::HeaderField* encoding = nullptr;
  for (const detail::HeaderField& field : block.fields) {
    const bool is_type = iequals(field.name, "content-type");
    const bool is_encoding = iequals(field.name, "content-transfer-encoding");
    if ((is_type && type != nullptr) || (is_encoding && encoding != nullptr)) return false;
    if (is_type) type = &field;
    if (is_encoding) encoding = &field;
  }
  if (type == nullptr) return false;
  GObjectPtr<GMimeContentType> parsed(
      g_mime_content_type_parse(nullptr, field_value(entity, *type).c_str()));
  if (!parsed || g_mime_content_type_is_type(parsed.get(), "multipart", "*") ||
      g_mime_content_type_is_type(parsed.get(), "message", "*")) {
    return false;
  }
  if (encoding != nullptr) {
    const std::string name = field_value(entity, *encoding);
    if (!iequals(name, "7bit") && !iequals(name, "8bit") && !iequals(name, "quoted-printable") &&
        !iequals(name, "base64")) {
      return false;
    }
  }
  return is_seven_bit_safe(entity.substr(block.body_begin));
}

// The content fields of `split` with the default Content-Type when there is none, and the empty
// line that ends them.
std::string content_header(detail::RawSplit& split) {
  if (!split.has_from) {
    throw Error(ErrorCode::invalid_input, "not an RFC 5322 message: it has no From header field");
  }
  std::string fields = std::move(split.content_fields);
  if (!split.has_content_type) {
    // RFC 2045 §5.2 default, made explicit; utf-8 is the only sensible guess for 8-bit text.
    fields += has_8bit(split.body) ? "Content-Type: text/plain; charset=utf-8\r\n"
                                   : "Content-Type: text/plain; charset=us-ascii\r\n";
  }
  fields += "\r\n";
  return fields;
}

// The entity (content header and body) checked and made 7-bit safe and canonical.
SplitMessage prepared(std::string outer_headers, std::string entity, const Limits& limits) {
  detail::check_part_budget(entity, limits);
  std::vector<Edit> edits;
  if (!needs_no_edit(entity)) {
    const detail::ParsedPart parsed = detail::parse_part(entity);  // points into the entity
    detail::check_part_tree(parsed.object.get(), limits);
    collect_edits(parsed.object.get(), entity, edits);
  }
  // Nothing to re-encode and already canonical (our bench's and most clients' mail): the
  // entity as it is, not a second copy of the message.
  if (edits.empty() && has_canonical_line_endings(entity)) {
    return SplitMessage{std::move(outer_headers), std::move(entity)};
  }
  return SplitMessage{std::move(outer_headers), apply_edits(entity, edits)};
}

}  // namespace

SplitMessage prepare_outgoing(std::string_view message, const Limits& limits) {
  detail::RawSplit split = detail::split_raw(message, /*fold_outer_headers=*/true);
  std::string entity = content_header(split);
  entity.reserve(entity.size() + split.body.size());
  entity += split.body;
  return prepared(std::move(split.outer_headers), std::move(entity), limits);
}

SplitMessage prepare_outgoing_in_place(std::string&& message, const Limits& limits) {
  detail::RawSplit split = detail::split_raw(message, /*fold_outer_headers=*/true);
  const std::string fields = content_header(split);
  const std::size_t body_begin = message.size() - split.body.size();
  std::string outer_headers = std::move(split.outer_headers);
  // The header block replaced by the content fields in the message's own buffer (it fits
  // unless a default Content-Type makes it longer than the whole header was).
  message.replace(0, body_begin, fields);
  return prepared(std::move(outer_headers), std::move(message), limits);
}

std::string_view header_block(std::string_view message) {
  return message.substr(0, detail::scan_message_headers(message).body_begin);
}

}  // namespace smime::engine::mime
