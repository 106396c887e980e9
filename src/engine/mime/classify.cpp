// classify: what an incoming entity is, and the exact bytes a verifier needs from it.
#include <algorithm>
#include <optional>
#include <vector>

#include "gmime_support.hpp"
#include "header_block.hpp"
#include "part_budget.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {

namespace {

struct Range {
  std::size_t begin;
  std::size_t end;
};

[[noreturn]] void broken(const std::string& why) {
  throw Error(ErrorCode::invalid_input, why);
}

bool is_signature_type(std::string_view type) {
  return type == "application/pkcs7-signature" || type == "application/x-pkcs7-signature";
}

bool is_pkcs7_mime_type(std::string_view type) {
  return type == "application/pkcs7-mime" || type == "application/x-pkcs7-mime";
}

// The file extension of the part's filename (Content-Disposition) or name (Content-Type).
std::string name_extension(GMimeObject* object) {
  if (!GMIME_IS_PART(object)) return {};
  const char* name = g_mime_part_get_filename(GMIME_PART(object));
  if (name == nullptr) return {};
  std::string_view text(name);
  std::size_t dot = text.rfind('.');
  return dot == std::string_view::npos ? std::string() : detail::ascii_lower(text.substr(dot));
}

bool blank(const std::vector<unsigned char>& data) {
  return std::all_of(data.begin(), data.end(), [](unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  });
}

// `source`: the bytes `object` was parsed from.
std::vector<unsigned char> decoded_body(GMimeObject* object, std::string_view source,
                                        const std::string& what) {
  if (!GMIME_IS_PART(object)) broken(what + " is not a leaf part");
  std::vector<unsigned char> data = detail::decoded_bytes(GMIME_PART(object), source);
  // Whitespace alone is no DER either (a DER value starts with its tag byte).
  if (blank(data)) broken(what + " has an empty body");
  return data;
}

// A base64 leaf's body located in `entity` (the bytes it was parsed from); false otherwise.
bool locate_base64_body(GMimeObject* object, std::string_view entity, ClassifiedEntity& result) {
  if (!GMIME_IS_PART(object)) return false;
  const std::optional<detail::EncodedBody> body = detail::encoded_body(GMIME_PART(object), entity);
  if (!body || body->encoding != GMIME_CONTENT_ENCODING_BASE64) return false;
  result.body_located = true;
  result.body_begin = body->begin;
  result.body_end = body->end;
  return true;
}

// The body parts of a multipart body, split at its delimiter lines (RFC 2046 §5.1.1).
// Hand-written because the signed bytes are exactly the bytes between the delimiters,
// which GMime's parsed tree does not give back.
std::vector<Range> split_body_parts(std::string_view body, std::string_view boundary) {
  const std::string dash = "--" + std::string(boundary);
  std::vector<Range> parts;
  std::optional<std::size_t> open;  // start of the part being read
  std::size_t pos = 0;
  while (true) {
    std::size_t at = body.find(dash, pos);
    if (at == std::string_view::npos) break;
    pos = at + 1;
    if (at != 0 && body[at - 1] != '\n') continue;  // a delimiter starts a line
    std::size_t i = at + dash.size();
    const bool close = body.substr(i, 2) == "--";
    if (close) i += 2;
    while (i < body.size() && (body[i] == ' ' || body[i] == '\t')) ++i;  // transport padding
    std::size_t line_end;
    if (i == body.size()) {
      line_end = i;
    } else if (body[i] == '\n') {
      line_end = i + 1;
    } else if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') {
      line_end = i + 2;
    } else {
      continue;  // a longer boundary that merely starts with ours
    }
    if (open) {
      // The line break before the delimiter belongs to the delimiter.
      std::size_t end = at;
      if (end > *open && body[end - 1] == '\n') --end;
      if (end > *open && body[end - 1] == '\r') --end;
      parts.push_back({*open, end});
    }
    if (close) return parts;
    open = line_end;
    pos = line_end;
  }
  if (open) parts.push_back({*open, body.size()});  // no close delimiter: up to the end
  return parts;
}

void classify_multipart_signed(std::string_view entity, GMimeObject* object, SignedContent copy,
                               ClassifiedEntity& result) {
  std::string protocol = detail::ascii_lower(detail::content_type_parameter(object, "protocol"));
  if (!protocol.empty() && !is_signature_type(protocol)) return;  // e.g. OpenPGP: not ours
  std::string boundary = detail::content_type_parameter(object, "boundary");
  if (boundary.empty()) broken("multipart/signed without a boundary parameter");

  std::string_view body = entity.substr(detail::find_body_begin(entity));
  std::vector<Range> parts = split_body_parts(body, boundary);
  if (parts.empty()) broken("multipart/signed: the boundary delimiter does not occur in the body");
  if (parts.size() < 2) {
    if (protocol.empty()) return;
    broken("multipart/signed: the signature part is missing (only one body part)");
  }

  std::string_view signature_bytes = body.substr(parts[1].begin, parts[1].end - parts[1].begin);
  detail::ParsedPart signature = detail::parse_part(signature_bytes);
  std::string signature_type = detail::mime_type_of(signature.object.get());
  if (!is_signature_type(signature_type)) {
    if (protocol.empty()) return;
    broken("multipart/signed: the signature part is " + signature_type +
           ", not application/pkcs7-signature");
  }

  result.kind = EntityKind::multipart_signed;
  result.micalg = detail::ascii_lower(detail::content_type_parameter(object, "micalg"));
  const std::string_view content = body.substr(parts[0].begin, parts[0].end - parts[0].begin);
  if (copy == SignedContent::copied || !has_canonical_line_endings(content)) {
    result.signed_content = canonicalize_line_endings(content);
  } else {
    result.signed_in_entity = true;
    result.signed_begin = static_cast<std::size_t>(content.data() - entity.data());
    result.signed_end = result.signed_begin + content.size();
  }
  result.cms_der =
      decoded_body(signature.object.get(), signature_bytes, "multipart/signed: the signature part");
}

}  // namespace

ClassifiedEntity classify(std::string_view entity, const Limits& limits, SignedContent copy,
                          Pkcs7Body pkcs7) {
  detail::check_part_budget(entity, limits);
  detail::ParsedPart parsed = detail::parse_part(entity);
  GMimeObject* object = parsed.object.get();
  detail::check_part_tree(object, limits);
  ClassifiedEntity result;
  result.content_type = detail::mime_type_of(object);
  result.smime_type = detail::ascii_lower(detail::content_type_parameter(object, "smime-type"));
  const std::string& type = result.content_type;

  if (type == "multipart/signed") {
    classify_multipart_signed(entity, object, copy, result);
    return result;
  }
  const std::string extension = type == "application/octet-stream" ? name_extension(object) : "";
  // RFC 8551 §3.2.1 names .p7m/.p7c/.p7z for application/pkcs7-mime and .p7s for signatures.
  if (is_pkcs7_mime_type(type) || extension == ".p7m" || extension == ".p7c" ||
      extension == ".p7z") {
    result.kind = EntityKind::pkcs7_mime;
    if (pkcs7 == Pkcs7Body::located && locate_base64_body(object, entity, result)) return result;
    result.cms_der = decoded_body(object, entity, type + " entity");
  } else if (is_signature_type(type) || extension == ".p7s") {
    result.kind = EntityKind::signature_only;
    result.cms_der = decoded_body(object, entity, type + " entity");
  }
  return result;
}

ReleasedBase64 decode_located_body(std::string& entity, ClassifiedEntity& classified) {
  if (!classified.body_located) return {};
  DecodedBase64 decoded =
      decode_base64_releasing(entity, classified.body_begin, classified.body_end);
  classified.body_located = false;
  classified.cms_der = std::move(decoded.bytes);
  if (blank(classified.cms_der)) {
    restore_base64(entity, decoded.released, classified.cms_der);
    broken(classified.content_type + " entity has an empty body");
  }
  return decoded.released;
}

}  // namespace smime::engine::mime
