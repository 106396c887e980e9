// A minimal DER reader and writer for the few CMS structures OpenSSL 3.0 parses but does not
// expose (encrypted keys of RecipientInfos, the encrypted content, the ECC-CMS-SharedInfo of
// RFC 5753). Input is always DER that OpenSSL itself produced from a parsed CMS structure,
// so indefinite lengths are refused rather than handled.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace smime::engine::der {

using Bytes = std::span<const unsigned char>;

// Tag classes as in the identifier octet.
inline constexpr int kUniversal = 0x00;
inline constexpr int kContext = 0x80;

struct Element {
  int tag_class = kUniversal;
  bool constructed = false;
  long tag = 0;
  Bytes content;  // the value octets
  Bytes whole;    // identifier, length and value
};

class Reader {
 public:
  explicit Reader(Bytes data) : rest_(data) {}
  bool empty() const noexcept { return rest_.empty(); }
  // The next element; Error(invalid_input) when the input is not well-formed DER.
  Element next();
  // The next element if it has this class and tag, else nothing is consumed.
  std::optional<Element> next_if(int tag_class, long tag);
  // The next element, which must have this class and tag.
  Element expect(int tag_class, long tag, const char* what);

 private:
  std::optional<Element> peek();
  Bytes rest_;
};

// Universal tags used here.
inline constexpr long kInteger = 2;
inline constexpr long kBitString = 3;
inline constexpr long kOctetString = 4;
inline constexpr long kOid = 6;
inline constexpr long kSequence = 16;
inline constexpr long kSet = 17;

// identifier octet + DER length (of `length` content octets).
std::vector<unsigned char> header(unsigned char identifier, std::size_t length);
// identifier octet + DER length + content.
std::vector<unsigned char> encode(unsigned char identifier, Bytes content);

}  // namespace smime::engine::der
