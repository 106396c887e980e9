// PostgreSQL's text form of one-dimensional arrays ('{a,"b c",NULL}'), so that a list goes to
// the server as one parameter (INSERT ... SELECT FROM unnest($1::text[])) and comes back as
// one column (ARRAY(SELECT ...)) instead of a round trip per element.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace smime::postgres {

// Every element quoted, '"' and '\' escaped: safe for any text.
std::string to_array_literal(const std::vector<std::string>& items);
std::string to_array_literal(const std::vector<std::int64_t>& items);

// The elements of a one-dimensional text array as the server prints it. NULL elements read as
// "". Error(internal) when `literal` is not such an array.
std::vector<std::string> parse_array_literal(std::string_view literal);

}  // namespace smime::postgres
