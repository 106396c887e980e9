// Private GMime plumbing of the MIME module: one-time initialisation, parsing from memory,
// reading content types and (de)coding transfer encodings. Every GMime handle is held by a
// GObjectPtr; nothing here is visible outside src/engine/mime.
#pragma once

#include <gmime/gmime.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smime/common/text.hpp"

namespace smime {

// Owners of reference-counted GObjects (GMime objects) and GLib-allocated strings.
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

}  // namespace smime

namespace smime::engine::mime::detail {

// g_mime_init() exactly once per process; every entry point of the module calls this first.
void ensure_gmime();

// The byte array GMime's memory stream reads, pointing at bytes it does not own.
struct BorrowedBytesRelease {
  void operator()(GByteArray* array) const noexcept;
};
using BorrowedBytes = std::unique_ptr<GByteArray, BorrowedBytesRelease>;

// A part parsed from `bytes` themselves, not a copy: they must outlive the ParsedPart. The
// parser keeps the stream (persist mode), so every leaf's content is a substream whose bounds
// are offsets into `bytes`. (Members are destroyed bottom-up: the tree, the stream, the array.)
struct ParsedPart {
  BorrowedBytes bytes;
  GObjectPtr<GMimeStream> stream;
  GObjectPtr<GMimeObject> object;
};
ParsedPart parse_part(std::string_view bytes);
GObjectPtr<GMimeMessage> parse_message(std::string_view bytes);

using smime::ascii_lower;

// "type/subtype" lowercased; text/plain when the object has no Content-Type.
std::string mime_type_of(GMimeObject* object);
// A Content-Type parameter, empty when absent.
std::string content_type_parameter(GMimeObject* object, const char* name);

// The content of a leaf with its transfer encoding undone (GMime's decoding filters).
std::string decoded_content(GMimePart* part);
// The same decoded straight from `source`, the bytes the part was parsed from (parse_part),
// into one buffer of its size: no stream of growing copies.
std::vector<unsigned char> decoded_bytes(GMimePart* part, std::string_view source);

// Where a leaf part's encoded body lies in `source` (the bytes it was parsed from), and its
// transfer encoding; nullopt when GMime does not know the bounds.
struct EncodedBody {
  std::size_t begin = 0;
  std::size_t end = 0;
  GMimeContentEncoding encoding = GMIME_CONTENT_ENCODING_DEFAULT;
};
std::optional<EncodedBody> encoded_body(GMimePart* part, std::string_view source);
// `raw` decoded from `encoding` and appended to `out`.
void append_decoded(std::vector<unsigned char>& out, std::string_view raw,
                    GMimeContentEncoding encoding);

// Transfer encoding of raw bytes with GMime's encoders; output lines end in LF.
std::string transfer_encode(std::string_view data, GMimeContentEncoding encoding);
std::string transfer_decode(std::string_view data, GMimeContentEncoding encoding);

}  // namespace smime::engine::mime::detail
