// SMIMECapabilities (RFC 8551 §2.5.2): what a correspondent announces it can decrypt, as a
// signed attribute of its signed mail or as a certificate extension (RFC 4262, the same OID
// 1.2.840.113549.1.9.15). Read as names in the announced order (the sender's preference);
// everything from a message is hostile, so size and count are bounded.
#pragma once

#include <openssl/cms.h>
#include <openssl/x509.h>

#include <cstddef>
#include <ctime>
#include <string>
#include <vector>

namespace smime::engine::cms {

// At most this many capabilities are kept (more are ignored), from an encoding of at most
// kMaxCapabilitiesBytes (a larger one is ignored entirely).
inline constexpr std::size_t kMaxCapabilities = 32;
inline constexpr std::size_t kMaxCapabilitiesBytes = 4096;

// Names: "aes256-gcm", "aes192-gcm", "aes128-gcm", "aes256-cbc", "aes192-cbc", "aes128-cbc",
// "des-ede3-cbc", "rc2-cbc", "des-cbc", "rsaes-oaep" (SHA-1 and MGF1-SHA-1, the RFC 4055
// defaults), "rsaes-oaep-sha256" / "-sha384" / "-sha512" (that hash for both), "rsaes-oaep-other"
// (any other parameters, a label among them); any other capability as its dotted OID.
// Duplicates are dropped. Empty when the encoding is malformed or too large.
std::vector<std::string> parse_capabilities(const unsigned char* der, std::size_t length);

// What the appliance's own signatures announce it can decrypt, strongest first: AES-GCM, then
// AES-CBC (key transport: PKCS#1 v1.5, which every token decrypts natively, so no OAEP).
inline constexpr int kApplianceCiphers[] = {NID_aes_256_gcm, NID_aes_128_gcm, NID_aes_256_cbc,
                                            NID_aes_192_cbc, NID_aes_128_cbc};
// The same as names (for a recipient certificate whose key is in the token: the sent copy).
std::vector<std::string> appliance_capabilities();

// The SMIMECapabilities signed attribute of a signer; empty when it has none.
std::vector<std::string> signed_capabilities(CMS_SignerInfo* si);
// The SMIMECapabilities extension of a certificate; empty when it has none.
std::vector<std::string> certificate_capabilities(const X509* certificate);
// The signingTime signed attribute as unix seconds; 0 when absent or unreadable.
std::time_t signing_time(CMS_SignerInfo* si);

}  // namespace smime::engine::cms
