// Fuzz target: private key files handed to `key import`.
#include <cstddef>
#include <cstdint>

#include "smime/common/error.hpp"
#include "smime/common/private_key_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    smime::SecretString passphrase("fuzz");
    smime::decode_private_key({data, size}, size % 2 == 0 ? &passphrase : nullptr);
  } catch (const smime::Error&) {
  }
  smime::drain_openssl_errors();
  return 0;
}
