// The parameters of one statement, all in PostgreSQL's text form ($1, $2, ... in the order they
// are added): the server converts them to the column's type, so no type OIDs are needed.
// bytea goes as its hex text form ("\x0a1b"), which bytea input always accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smime::postgres {

class Params {
 public:
  Params& add(std::string_view text);
  Params& add(std::int64_t value);
  Params& add(bool value);
  Params& add(std::span<const unsigned char> bytes);    // as bytea
  Params& add(const std::optional<std::string>& text);  // nullopt: NULL
  Params& add_null();
  // Exact overloads so that strings, literals and small integers pick the obvious form.
  Params& add(const std::string& text) { return add(std::string_view(text)); }
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add(int value) { return add(std::int64_t{value}); }
  Params& add(const std::vector<unsigned char>& bytes) {
    return add(std::span<const unsigned char>(bytes));
  }

  int size() const noexcept { return static_cast<int>(values_.size()); }
  // For PQexecPrepared: a pointer per parameter, nullptr for NULL; valid while *this lives.
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

}  // namespace smime::postgres
