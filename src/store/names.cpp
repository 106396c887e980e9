#include "smime/store/names.hpp"

#include <string>

#include "smime/common/error.hpp"

namespace smime::store {
namespace {

constexpr std::size_t kMaxAddressLength = 254;  // RFC 5321 path limit minus the brackets

// Length of the UTF-8 sequence starting with `lead`, 0 when it cannot start one.
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

bool is_control(std::string_view text, std::size_t at, std::size_t length) {
  const auto c = static_cast<unsigned char>(text[at]);
  if (length == 1) return c < 0x20 || c == 0x7f;
  // U+0080..U+009F (C1 controls) are C2 80..C2 9F.
  return length == 2 && c == 0xc2 && static_cast<unsigned char>(text[at + 1]) < 0xa0;
}

}  // namespace

void require_valid_name(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    throw Error(ErrorCode::invalid_input, std::string(what) + " must have 1 to " +
                                              std::to_string(kMaxNameLength) + " characters");
  }
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t length = sequence_length(static_cast<unsigned char>(name[i]));
    bool valid = length != 0 && i + length <= name.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(name[i + k]) & 0xc0) == 0x80;
    }
    if (!valid) throw Error(ErrorCode::invalid_input, std::string(what) + " is not valid UTF-8");
    if (is_control(name, i, length)) {
      throw Error(ErrorCode::invalid_input,
                  std::string(what) + " must not hold control characters");
    }
    i += length;
  }
}

void require_valid_address(std::string_view address) {
  const auto at = address.find('@');
  const bool one_at =
      at != std::string_view::npos && address.find('@', at + 1) == std::string_view::npos;
  bool plain = !address.empty() && address.size() <= kMaxAddressLength;
  for (char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f ||
        std::string_view("<>()[],;:\"\\").find(c) != std::string_view::npos) {
      plain = false;
    }
  }
  if (!plain || !one_at || at == 0 || at + 1 == address.size()) {
    throw Error(ErrorCode::invalid_input, "'" + std::string(address.substr(0, 80)) +
                                              "' is not an email address (local@domain)");
  }
}

}  // namespace smime::store
