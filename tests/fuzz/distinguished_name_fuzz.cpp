// Fuzz target: subject DNs typed by administrators (RFC 4514 and slash forms).
#include <cstddef>
#include <cstdint>
#include <string>

#include "smime/common/error.hpp"
#include "smime/provisioning/certificate_builder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    smime::provisioning::parse_distinguished_name(
        std::string(reinterpret_cast<const char*>(data), size));
  } catch (const smime::Error&) {
  }
  smime::drain_openssl_errors();
  return 0;
}
