// One tolerant PEM scanner for everything the appliance reads as PEM (certificate bundles,
// private keys): blocks in order, text around them skipped, PEM pasted on one line (through a
// form or an environment variable) put back on lines, a block cut off before its END line
// reported as incomplete instead of hiding the blocks after it. Its buffers wipe themselves:
// a block may hold a private key. And the one encoder of a certificate as PEM.
#pragma once

#include <openssl/x509.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smime/common/secure_buffer.hpp"

namespace smime {

using SecureText = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

struct PemBlock {
  std::string label;      // "CERTIFICATE", "PRIVATE KEY", ...
  SecureText body;        // base64 lines (and header lines such as "Proc-Type: ..."), each + '\n'
  bool complete = false;  // its END line (with the same label) was there

  // The block as PEM text again, BEGIN and END lines included.
  SecureText text() const;
  // The bytes inside a complete, well-formed block; nullopt when the base64 is damaged.
  std::optional<SecureBytes> der() const;
};

std::vector<PemBlock> scan_pem(std::string_view input);

// "-----BEGIN CERTIFICATE-----" ... with '\n' line endings. Error(crypto) when OpenSSL cannot
// encode it.
std::string certificate_pem(const X509* certificate);

}  // namespace smime
