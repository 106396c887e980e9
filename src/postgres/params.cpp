#include "smime/postgres/params.hpp"

#include "smime/common/hex.hpp"

namespace smime::postgres {

Params& Params::add(std::string_view text) {
  values_.emplace_back(std::string(text));
  return *this;
}

Params& Params::add(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

Params& Params::add(bool value) {
  values_.emplace_back(value ? "t" : "f");
  return *this;
}

Params& Params::add(std::span<const unsigned char> bytes) {
  values_.emplace_back("\\x" + to_hex(bytes));
  return *this;
}

Params& Params::add(const std::optional<std::string>& text) {
  return text ? add(std::string_view(*text)) : add_null();
}

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& value : values_) out.push_back(value ? value->c_str() : nullptr);
  return out;
}

}  // namespace smime::postgres
