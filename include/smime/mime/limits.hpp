// How much MIME structure of one message is processed (issue 11 item 6): content within the
// request size limit can still cost far more than its size (millions of empty parts, deep
// nesting, quadratic address lists), so each count that drives work is capped. The engine adds
// its own counts (smime/engine/limits.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace smime::engine::mime {

struct Limits {
  // MIME entities of one message at every level, multiparts and leaves (an entity that is
  // unwrapped from S/MIME is counted again when it is parsed again).
  std::size_t mime_parts = 10'000;
  // Nesting of multiparts and message/rfc822 parts (the top-level entity is depth 1).
  std::size_t mime_depth = 32;
  // From, Sender, To, Cc and Bcc addresses of one message (before de-duplication), plus the
  // request's explicit Bcc; for preflight, from, to, cc and bcc of the request.
  std::size_t addresses = 1'000;
};

// Error(limit_exceeded): "<what> exceeds the limit of <limit> (<name>)".
[[noreturn]] void throw_limit_exceeded(std::string_view what, std::size_t limit,
                                       std::string_view name);
// The same sentence, for results that report instead of throwing.
std::string limit_message(std::string_view what, std::size_t limit, std::string_view name);

}  // namespace smime::engine::mime
