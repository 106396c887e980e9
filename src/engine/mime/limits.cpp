// The sentences of the limits (include/smime/mime/limits.hpp).
#include "smime/mime/limits.hpp"

#include "smime/common/error.hpp"

namespace smime::engine::mime {

std::string limit_message(std::string_view what, std::size_t limit, std::string_view name) {
  return std::string(what) + " exceeds the limit of " + std::to_string(limit) + " (" +
         std::string(name) + ")";
}

void throw_limit_exceeded(std::string_view what, std::size_t limit, std::string_view name) {
  throw Error(ErrorCode::limit_exceeded, limit_message(what, limit, name));
}

}  // namespace smime::engine::mime
