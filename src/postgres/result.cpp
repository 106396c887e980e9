#include "smime/postgres/result.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/postgres/array_literal.hpp"

namespace smime::postgres {

void Result::check_cell(int row, int column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= PQnfields(result_.get())) {
    throw Error(ErrorCode::internal, "No cell (" + std::to_string(row) + ", " +
                                         std::to_string(column) + ") in a database result");
  }
}

std::int64_t Result::affected_rows() const {
  const char* count = PQcmdTuples(result_.get());
  return count != nullptr && *count != '\0' ? std::strtoll(count, nullptr, 10) : 0;
}

bool Result::is_null(int row, int column) const {
  check_cell(row, column);
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string Result::text(int row, int column) const {
  if (is_null(row, column)) return {};
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> Result::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::int64_t Result::int64(int row, int column) const {
  const std::string value = text(row, column);
  if (value.empty()) return 0;
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size()) {
    throw Error(ErrorCode::internal, "Not an integer from the database: " + value);
  }
  return out;
}

bool Result::boolean(int row, int column) const {
  return text(row, column) == "t";
}

std::vector<unsigned char> Result::bytea(int row, int column) const {
  // bytea_output = hex, the server's default since 9.0: "\x" and two digits per byte.
  const std::string value = text(row, column);
  if (value.empty()) return {};
  std::optional<std::vector<unsigned char>> bytes;
  if (value.size() >= 2 && value[0] == '\\' && value[1] == 'x') {
    bytes = from_hex(std::string_view(value).substr(2));
  }
  if (!bytes) throw Error(ErrorCode::internal, "A bytea value not in hex form from the database");
  return *bytes;
}

std::vector<std::string> Result::text_array(int row, int column) const {
  if (is_null(row, column)) return {};
  return parse_array_literal(text(row, column));
}

}  // namespace smime::postgres
