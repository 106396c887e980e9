// Helpers for the MIME tests: building inputs and looking at results through GMime, i.e.
// independently of the hand-written parts of the code under test.
#pragma once

#include <gmime/gmime.h>
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace smime::engine::mime {

// Owners of GObjects the tests make (the library's own owners are private to it).
template <typename T>
struct GObjectUnref {
  void operator()(T* object) const noexcept { g_object_unref(object); }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref<T>>;
struct GFree {
  void operator()(void* p) const noexcept { g_free(p); }
};
using GCharPtr = std::unique_ptr<char, GFree>;

}  // namespace smime::engine::mime

namespace smime::engine::mime::test {

inline void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Test inputs are written with LF; this is the CRLF form (the inputs contain no CR).
inline std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// Canonical CRLF form of text that has CRLF or LF line breaks.
inline std::string canon(std::string_view text) {
  std::string lf;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    lf += text[i];
  }
  return crlf(lf);
}

inline bool is_crlf_only(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return false;
  }
  return true;
}

inline bool is_seven_bit(std::string_view text, std::size_t max_line) {
  std::size_t line = 0;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || c == 0) return false;
    if (c == '\r' || c == '\n') {
      line = 0;
    } else if (++line > max_line) {
      return false;
    }
  }
  return true;
}

inline std::string stream_text(GMimeStream* stream) {
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
  return std::string(reinterpret_cast<const char*>(array->data), array->len);
}

struct Leaf {
  std::string type;      // type/subtype, lowercase
  std::string encoding;  // Content-Transfer-Encoding as GMime names it
  std::string raw;       // the content as it is in the entity
  std::string decoded;   // transfer encoding undone by GMime
};

inline void collect_leaves(GMimeObject* object, std::vector<Leaf>& leaves) {
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
      collect_leaves(g_mime_multipart_get_part(multipart, i), leaves);
    }
    return;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    collect_leaves(g_mime_message_get_mime_part(message), leaves);
    return;
  }
  ASSERT_TRUE(GMIME_IS_PART(object));
  GMimePart* part = GMIME_PART(object);
  Leaf leaf;
  GCharPtr type(g_mime_content_type_get_mime_type(g_mime_object_get_content_type(object)));
  leaf.type = type.get();
  for (char& c : leaf.type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // NULL for GMIME_CONTENT_ENCODING_DEFAULT (no Content-Transfer-Encoding header).
  const char* encoding = g_mime_content_encoding_to_string(g_mime_part_get_content_encoding(part));
  leaf.encoding = encoding != nullptr ? encoding : "";
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  GObjectPtr<GMimeStream> raw(g_mime_stream_mem_new());
  g_mime_stream_reset(g_mime_data_wrapper_get_stream(wrapper));
  g_mime_stream_write_to_stream(g_mime_data_wrapper_get_stream(wrapper), raw.get());
  leaf.raw = stream_text(raw.get());
  GObjectPtr<GMimeStream> decoded(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(wrapper, decoded.get());
  leaf.decoded = stream_text(decoded.get());
  leaves.push_back(std::move(leaf));
}

// Parses an entity (Content-* headers, empty line, body) with GMime.
inline GObjectPtr<GMimeObject> parse_entity(std::string_view entity) {
  init_gmime();
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(entity.data(), entity.size()));
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  return GObjectPtr<GMimeObject>(g_mime_parser_construct_part(parser.get(), nullptr));
}

inline std::vector<Leaf> leaves_of(std::string_view entity) {
  auto object = parse_entity(entity);
  std::vector<Leaf> leaves;
  if (object) collect_leaves(object.get(), leaves);
  return leaves;
}

inline std::string random_bytes(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  std::uint64_t state = 0x9e3779b97f4a7c15ull ^ seed;
  for (std::size_t i = 0; i < size; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    out[i] = static_cast<char>(state >> 24);
  }
  return out;
}

inline std::vector<unsigned char> bytes_of(std::string_view text) {
  return std::vector<unsigned char>(text.begin(), text.end());
}

}  // namespace smime::engine::mime::test
