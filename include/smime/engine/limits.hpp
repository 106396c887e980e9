// How much of one message the engine processes (issue 11 item 6). Content within the request
// size limit can still cost far more than its size (millions of empty MIME parts, thousands of
// RecipientInfos each needing a token operation, quadratic address lists), so each count that
// drives work is capped. Outgoing mail over a limit is refused with Error(limit_exceeded)
// (HTTP 413); incoming mail reports the limit in its result (code "limit_exceeded").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace smime::engine {

struct Limits {
  // MIME entities of one message at every level, multiparts and leaves (an entity that is
  // unwrapped from S/MIME is counted again when it is parsed again).
  std::size_t mime_parts = 10'000;
  // Nesting of multiparts and message/rfc822 parts (the top-level entity is depth 1).
  std::size_t mime_depth = 32;
  // From, Sender, To, Cc and Bcc addresses of one message (before de-duplication), plus the
  // request's explicit Bcc; for preflight, from, to, cc and bcc of the request.
  std::size_t addresses = 1'000;
  // RecipientInfos (each RecipientEncryptedKey of a key agreement counts) of one envelope.
  std::size_t recipient_infos = 2'000;
  // S/MIME layers (signed, enveloped) an incoming message may nest; reaching it is an error.
  std::size_t smime_layers = 8;
};

// Error(limit_exceeded): "<what> exceeds the limit of <limit> (<name>)".
[[noreturn]] void throw_limit_exceeded(std::string_view what, std::size_t limit,
                                       std::string_view name);
// The same sentence, for results that report instead of throwing.
std::string limit_message(std::string_view what, std::size_t limit, std::string_view name);

}  // namespace smime::engine
