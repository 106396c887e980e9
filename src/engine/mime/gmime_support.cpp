#include "gmime_support.hpp"

#include <algorithm>
#include <mutex>

#include "smime/common/error.hpp"

namespace smime::engine::mime::detail {

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

namespace {

GObjectPtr<GMimeStream> memory_stream(std::string_view bytes) {
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  if (!stream) throw Error(ErrorCode::internal, "GMime could not create a memory stream");
  return stream;
}

// A memory stream over `bytes` themselves (g_mime_stream_mem_new_with_buffer would copy a
// 25 MB entity): a byte array that merely points at them, never owned by the stream.
GObjectPtr<GMimeStream> borrowed_stream(std::string_view bytes, BorrowedBytes& wrapper) {
  auto* data = reinterpret_cast<guint8*>(const_cast<char*>(bytes.data()));
  wrapper.reset(g_byte_array_new_take(data, bytes.size()));
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_byte_array(wrapper.get()));
  if (!stream) throw Error(ErrorCode::internal, "GMime could not create a memory stream");
  g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream.get()), FALSE);
  return stream;
}

GObjectPtr<GMimeParser> parser_on(GMimeStream* stream) {
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream));
  if (!parser) throw Error(ErrorCode::internal, "GMime could not create a parser");
  // Offsets of leaf contents into the input are what lets us edit the input in place.
  g_mime_parser_set_persist_stream(parser.get(), TRUE);
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  return parser;
}

std::string byte_array_string(GMimeStreamMem* stream) {
  GByteArray* array = g_mime_stream_mem_get_byte_array(stream);
  if (array == nullptr || array->len == 0) return {};
  return std::string(reinterpret_cast<const char*>(array->data), array->len);
}

}  // namespace

void BorrowedBytesRelease::operator()(GByteArray* array) const noexcept {
  // The wrapper only: the bytes belong to the caller.
  (void)g_byte_array_free(array, FALSE);
}

ParsedPart parse_part(std::string_view bytes) {
  ensure_gmime();
  ParsedPart parsed;
  parsed.stream = borrowed_stream(bytes, parsed.bytes);
  auto parser = parser_on(parsed.stream.get());
  parsed.object.reset(g_mime_parser_construct_part(parser.get(), nullptr));
  if (!parsed.object) throw Error(ErrorCode::invalid_input, "the MIME entity cannot be parsed");
  return parsed;
}

GObjectPtr<GMimeMessage> parse_message(std::string_view bytes) {
  ensure_gmime();
  auto stream = memory_stream(bytes);
  auto parser = parser_on(stream.get());
  GObjectPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message) throw Error(ErrorCode::invalid_input, "the message header cannot be parsed");
  return message;
}

std::string mime_type_of(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (type == nullptr) return "text/plain";
  GCharPtr text(g_mime_content_type_get_mime_type(type));
  return text ? ascii_lower(text.get()) : std::string("text/plain");
}

std::string content_type_parameter(GMimeObject* object, const char* name) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (type == nullptr) return {};
  const char* value = g_mime_content_type_get_parameter(type, name);
  return value ? std::string(value) : std::string();
}

std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (wrapper == nullptr) return {};
  GObjectPtr<GMimeStream> out(g_mime_stream_mem_new());
  // The wrapper knows the part's transfer encoding and decodes through GMimeFilterBasic.
  if (g_mime_data_wrapper_write_to_stream(wrapper, out.get()) < 0) {
    throw Error(ErrorCode::invalid_input, "the content of a MIME part cannot be decoded");
  }
  return byte_array_string(GMIME_STREAM_MEM(out.get()));
}

std::optional<EncodedBody> encoded_body(GMimePart* part, std::string_view source) {
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (wrapper == nullptr) return std::nullopt;
  GMimeStream* stream = g_mime_data_wrapper_get_stream(wrapper);
  if (stream == nullptr || stream->bound_start < 0 ||
      static_cast<std::size_t>(stream->bound_start) > source.size()) {
    return std::nullopt;
  }
  EncodedBody body;
  body.begin = static_cast<std::size_t>(stream->bound_start);
  body.end = stream->bound_end < 0
                 ? source.size()
                 : std::min(source.size(), static_cast<std::size_t>(stream->bound_end));
  body.end = std::max(body.end, body.begin);
  body.encoding = g_mime_data_wrapper_get_encoding(wrapper);
  return body;
}

void append_decoded(std::vector<unsigned char>& out, std::string_view raw,
                    GMimeContentEncoding encoding) {
  GMimeEncoding state;
  g_mime_encoding_init_decode(&state, encoding);
  // Decoding never grows the data; base64 shrinks it to 3/4 (GMime's own bound is the input
  // size, which would leave a quarter of a large buffer allocated for nothing).
  const std::size_t bound =
      encoding == GMIME_CONTENT_ENCODING_BASE64 ? raw.size() / 4 * 3 + 3 : raw.size();
  const std::size_t start = out.size();
  out.resize(start + bound + 16);
  const size_t n = g_mime_encoding_flush(&state, raw.data(), raw.size(),
                                         reinterpret_cast<char*>(out.data() + start));
  out.resize(start + std::min(n, bound + 16));
}

std::vector<unsigned char> decoded_bytes(GMimePart* part, std::string_view source) {
  if (g_mime_part_get_content(part) == nullptr) return {};
  const std::optional<EncodedBody> body = encoded_body(part, source);
  if (!body) {
    const std::string decoded = decoded_content(part);
    return {decoded.begin(), decoded.end()};
  }
  std::vector<unsigned char> out;
  append_decoded(out, source.substr(body->begin, body->end - body->begin), body->encoding);
  return out;
}

namespace {

std::string run_encoding(GMimeEncoding& state, std::string_view data) {
  std::string out(g_mime_encoding_outlen(&state, data.size()) + 16, '\0');
  size_t n = g_mime_encoding_flush(&state, data.data(), data.size(), out.data());
  out.resize(n);
  return out;
}

}  // namespace

std::string transfer_encode(std::string_view data, GMimeContentEncoding encoding) {
  ensure_gmime();
  GMimeEncoding state;
  g_mime_encoding_init_encode(&state, encoding);
  return run_encoding(state, data);
}

std::string transfer_decode(std::string_view data, GMimeContentEncoding encoding) {
  ensure_gmime();
  GMimeEncoding state;
  g_mime_encoding_init_decode(&state, encoding);
  return run_encoding(state, data);
}

}  // namespace smime::engine::mime::detail
