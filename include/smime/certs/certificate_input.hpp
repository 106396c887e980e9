// Reading what a user hands in as "certificates" (SPEC §6): PEM bundles (CERTIFICATE,
// TRUSTED CERTIFICATE, PKCS7), DER certificates, PKCS#7 certs-only (.p7b/.p7c, PEM or DER)
// and PKCS#12 (certificates plus one private key).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "smime/common/handles.hpp"
#include "smime/common/secure_buffer.hpp"

namespace smime::certs {

struct InputProblem {
  std::string item;       // "PEM block 3", "PKCS#12", ...; the first of `count`
  std::string message;    // clear text, never a raw library error
  std::size_t count = 1;  // items with this same message (a bundle of broken blocks is one entry)
};

struct CertificateInput {
  std::vector<X509Ptr> certificates;   // in input order
  EvpPkeyPtr private_key;              // from PKCS#12 only; null otherwise
  std::vector<InputProblem> problems;  // items present but unreadable, one entry per message
};

// Throws Error(invalid_input) with a message naming the accepted formats when the input
// holds no certificate at all (binary garbage, a lone private key, invalid UTF-8 in PEM,
// truncated DER, an empty file); Error(bad_passphrase) for a PKCS#12 with a wrong or missing
// passphrase (an empty passphrase is tried when none is given).
CertificateInput read_certificate_input(std::span<const unsigned char> input,
                                        const SecretString* passphrase = nullptr);

inline constexpr const char* kAcceptedCertificateFormats =
    "PEM (CERTIFICATE or TRUSTED CERTIFICATE blocks, any number), DER, PKCS#7 certs-only "
    "(.p7b/.p7c) or PKCS#12 (.p12/.pfx)";

}  // namespace smime::certs
