// Fuzz target: what `message outgoing` does to the message before any key is used — the
// RFC 5322 split with header folding, the 7-bit re-encoding of the content entity and its
// MIME part limits, the address parse with its limit, and the composition of the signed
// entity around it (with a fixed stand-in signature: the token is not involved).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  // Small limits so that the fuzzer reaches them without huge inputs.
  smime::engine::mime::Limits limits;
  limits.mime_parts = 64;
  limits.mime_depth = 8;
  limits.addresses = 32;
  try {
    const auto prepared = smime::engine::mime::prepare_outgoing(message, limits);
    const auto addresses = smime::engine::mime::parse_addresses(message, limits.addresses);
    (void)smime::engine::mime::all_addresses(addresses);
    static const std::vector<unsigned char> kSignature = {0x30, 0x03, 0x02, 0x01, 0x01};
    const std::string entity = smime::engine::mime::compose_multipart_signed(
        prepared.content_entity, kSignature, "sha-256");
    const std::string out = smime::engine::mime::join(prepared.outer_headers, entity);
    // What we send must be a message we can read back ourselves.
    (void)smime::engine::mime::split_incoming(out);
  } catch (const smime::Error&) {
  }
  return 0;
}
