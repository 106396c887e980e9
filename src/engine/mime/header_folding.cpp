#include "header_folding.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <vector>

#include "header_block.hpp"
#include "smime/common/display_text.hpp"
#include "smime/common/error.hpp"

namespace smime::engine::mime::detail {
namespace {

// RFC 5322 §3.3-3.6 fields whose syntax has no place for an encoded-word in a long token.
constexpr std::array<std::string_view, 20> kStructuredFields = {
    "from",        "sender",        "reply-to",          "to",
    "cc",          "bcc",           "message-id",        "in-reply-to",
    "references",  "date",          "received",          "return-path",
    "resent-from", "resent-sender", "resent-to",         "resent-cc",
    "resent-bcc",  "resent-date",   "resent-message-id", "mime-version"};

// Encoded-words are at most 75 characters: "=?utf-8?B?" + 60 base64 characters + "?=".
constexpr std::size_t kEncodedWordBytes = 45;

bool is_structured(std::string_view name) {
  if (istarts_with(name, "content-")) return true;
  for (std::string_view structured : kStructuredFields) {
    if (iequals(name, structured)) return true;
  }
  return false;
}

// " =?charset?B?...?=" continuation lines for `word`, each character whole (RFC 2047 §5).
std::string encoded_words(std::string_view word) {
  const bool utf8 = !first_invalid_utf8(word).has_value();
  const std::string prefix = utf8 ? "=?utf-8?B?" : "=?unknown-8bit?B?";
  std::string out;
  std::size_t pos = 0;
  while (pos < word.size()) {
    std::size_t end = std::min(word.size(), pos + kEncodedWordBytes);
    if (utf8) {
      while (end < word.size() && (static_cast<unsigned char>(word[end]) & 0xc0) == 0x80) --end;
    }
    std::string base64(4 * ((end - pos + 2) / 3), '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()),
                    reinterpret_cast<const unsigned char*>(word.data() + pos),
                    static_cast<int>(end - pos));
    if (!out.empty()) out += "\r\n ";
    out.append(prefix).append(base64).append("?=");
    pos = end;
  }
  return out;
}

struct Token {
  std::string_view space;  // the whitespace before the word (empty for the first)
  std::string_view word;
};

// The field name with its colon (first line only), then each word with the whitespace
// before it.
std::vector<Token> tokens_of(std::string_view line, bool first_line) {
  std::vector<Token> tokens;
  const std::size_t colon = first_line ? line.find(':') : std::string_view::npos;
  std::size_t pos = colon == std::string_view::npos ? 0 : colon + 1;
  tokens.push_back({{}, line.substr(0, pos)});
  while (pos < line.size()) {
    const std::size_t word = std::min(line.size(), line.find_first_not_of(" \t", pos));
    const std::size_t end = std::min(line.size(), line.find_first_of(" \t", word));
    tokens.push_back({line.substr(pos, word - pos), line.substr(word, end - word)});
    pos = end;
  }
  return tokens;
}

// One physical line (no line break) folded before whitespace, into lines joined by CRLF.
std::string fold_line(std::string_view line, bool first_line, bool structured,
                      std::string_view name) {
  std::string out;
  std::size_t column = 0;
  const std::vector<Token> tokens = tokens_of(line, first_line);
  for (const Token& token : tokens) {
    if (token.word.size() + token.space.size() + 1 > kMaxLineLength) {
      if (structured || &token == &tokens.front()) {
        throw Error(ErrorCode::invalid_input,
                    "The " + std::string(name) +
                        " header field has a word longer than the 998 characters a line may "
                        "have (RFC 5322 2.1.1), which cannot be folded");
      }
      out += "\r\n ";
      out += encoded_words(token.word);
      column = kRecommendedLineLength;  // whatever follows starts a new line
      continue;
    }
    const std::size_t width = token.space.size() + token.word.size();
    if (column > 0 && !token.space.empty() && column + width > kRecommendedLineLength) {
      out += "\r\n";  // the whitespace begins the continuation line
      column = 0;
    }
    out.append(token.space);
    out.append(token.word);
    column += width;
  }
  return out;
}

}  // namespace

bool has_long_line(std::string_view field) {
  for (std::size_t pos = 0; pos < field.size();) {
    const std::size_t end = field.find("\r\n", pos);
    const std::size_t line_end = end == std::string_view::npos ? field.size() : end;
    if (line_end - pos > kRecommendedLineLength) return true;
    pos = line_end + 2;
  }
  return false;
}

std::string fold_header_field(std::string_view field) {
  if (!has_long_line(field)) return std::string(field);

  const std::string_view name = field.substr(0, field.find(':'));
  const bool structured = is_structured(name);
  std::string out;
  out.reserve(field.size() + field.size() / 32);
  for (std::size_t pos = 0; pos < field.size();) {
    const std::size_t end = field.find("\r\n", pos);
    const std::size_t line_end = end == std::string_view::npos ? field.size() : end;
    out += fold_line(field.substr(pos, line_end - pos), pos == 0, structured, name);
    out += "\r\n";
    pos = line_end + 2;
  }
  return out;
}

}  // namespace smime::engine::mime::detail
