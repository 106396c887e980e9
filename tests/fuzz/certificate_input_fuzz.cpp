// Fuzz target: anything a user uploads as "certificates". The only acceptable failure is
// smime::Error; a crash, a sanitizer report or another exception type is a bug.
#include <cstddef>
#include <cstdint>

#include "smime/certs/certificate_info.hpp"
#include "smime/certs/certificate_input.hpp"
#include "smime/common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    smime::SecretString passphrase("fuzz");
    auto input = smime::certs::read_certificate_input({data, size}, &passphrase);
    for (const auto& cert : input.certificates) {
      smime::certs::describe_certificate(cert.get());
      smime::certs::check_smime_rules(cert.get());
    }
  } catch (const smime::Error&) {
  }
  smime::drain_openssl_errors();
  return 0;
}
