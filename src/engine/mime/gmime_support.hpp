// Private GMime plumbing of the MIME module: one-time initialisation, parsing from memory,
// reading content types and (de)coding transfer encodings. Every GMime handle is held by a
// GObjectPtr; nothing here is visible outside src/engine/mime.
#pragma once

#include <gmime/gmime.h>

#include <memory>
#include <string>
#include <string_view>

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

// A part parsed from a copy of `bytes`. The parser keeps the stream (persist mode), so every
// leaf's content is a substream whose bounds are offsets into `bytes`.
struct ParsedPart {
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

// Transfer encoding of raw bytes with GMime's encoders; output lines end in LF.
std::string transfer_encode(std::string_view data, GMimeContentEncoding encoding);
std::string transfer_decode(std::string_view data, GMimeContentEncoding encoding);

}  // namespace smime::engine::mime::detail
