#include "der.hpp"

#include <openssl/asn1.h>

#include "smime/common/error.hpp"

namespace smime::engine::der {

std::optional<Element> Reader::peek() {
  if (rest_.empty()) return std::nullopt;
  const unsigned char* p = rest_.data();
  long length = 0;
  int tag = 0;
  int tag_class = 0;
  const int flags = ASN1_get_object(&p, &length, &tag, &tag_class, static_cast<long>(rest_.size()));
  // 0x80: error; 0x21: indefinite length (not DER).
  if ((flags & 0x80) != 0 || flags == 0x21) {
    throw Error(ErrorCode::invalid_input, "The CMS structure is not well-formed DER");
  }
  const auto header = static_cast<std::size_t>(p - rest_.data());
  if (length < 0 || static_cast<std::size_t>(length) > rest_.size() - header) {
    throw Error(ErrorCode::invalid_input, "The CMS structure is truncated");
  }
  Element e;
  e.tag_class = tag_class;
  e.constructed = (flags & 0x20) != 0;
  e.tag = tag;
  e.content = rest_.subspan(header, static_cast<std::size_t>(length));
  e.whole = rest_.first(header + static_cast<std::size_t>(length));
  return e;
}

Element Reader::next() {
  auto e = peek();
  if (!e) throw Error(ErrorCode::invalid_input, "The CMS structure ends too early");
  rest_ = rest_.subspan(e->whole.size());
  return *e;
}

std::optional<Element> Reader::next_if(int tag_class, long tag) {
  auto e = peek();
  if (!e || e->tag_class != tag_class || e->tag != tag) return std::nullopt;
  rest_ = rest_.subspan(e->whole.size());
  return e;
}

Element Reader::expect(int tag_class, long tag, const char* what) {
  auto e = next_if(tag_class, tag);
  if (!e) throw Error(ErrorCode::invalid_input, std::string("The CMS structure lacks ") + what);
  return *e;
}

std::vector<unsigned char> header(unsigned char identifier, std::size_t length) {
  std::vector<unsigned char> out{identifier};
  const std::size_t n = length;
  if (n < 0x80) {
    out.push_back(static_cast<unsigned char>(n));
  } else {
    unsigned char digits[sizeof(std::size_t)];
    int count = 0;
    for (std::size_t v = n; v != 0; v >>= 8) digits[count++] = static_cast<unsigned char>(v);
    out.push_back(static_cast<unsigned char>(0x80 | count));
    while (count > 0) out.push_back(digits[--count]);
  }
  return out;
}

std::vector<unsigned char> encode(unsigned char identifier, Bytes content) {
  std::vector<unsigned char> out = header(identifier, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

}  // namespace smime::engine::der
