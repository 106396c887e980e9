// How much of one message the engine processes (issue 11 item 6): the MIME limits
// (smime/mime/limits.hpp) and the counts that drive token work. Outgoing mail over a limit is
// refused with Error(limit_exceeded) (HTTP 413); incoming mail reports the limit in its result
// (code "limit_exceeded").
#pragma once

#include <cstddef>

#include "smime/mime/limits.hpp"

namespace smime::engine {

struct Limits : mime::Limits {
  // RecipientInfos (each RecipientEncryptedKey of a key agreement counts) of one envelope.
  std::size_t recipient_infos = 2'000;
  // S/MIME layers (signed, enveloped) an incoming message may nest; reaching it is an error.
  std::size_t smime_layers = 8;
};

using mime::limit_message;
using mime::throw_limit_exceeded;

}  // namespace smime::engine
