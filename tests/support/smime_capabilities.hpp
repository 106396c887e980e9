// SMIMECapabilities (RFC 8551 §2.5.2) as a test correspondent's client announces them: the
// signed attribute of its signed mail, or the certificate extension (RFC 4262; see
// CertificateSpec::smime_capabilities). Made with OpenSSL directly and software keys.
#pragma once

#include <openssl/cms.h>

#include <ctime>
#include <optional>
#include <string_view>
#include <vector>

#include "smime/common/handles.hpp"

namespace smime::test {

struct Announcement {
  std::vector<int> ciphers;      // NID_aes_256_gcm, NID_aes_256_cbc, ... in this order
  bool oaep = false;             // rsaesOAEP without parameters (the SHA-1 defaults)
  bool oaep_sha256 = false;      // rsaesOAEP with SHA-256 and MGF1-SHA-256
  std::time_t signing_time = 0;  // 0: now (OpenSSL's own signingTime)
};

// The DER of SMIMECapabilities (SEQUENCE OF SMIMECapability): the ciphers, then OAEP.
std::vector<unsigned char> capabilities_der(const Announcement& announced);

// A detached SignedData (DER) over `entity` by cert/key with SHA-256, the signer's certificate
// and `extra` embedded, carrying exactly `announced` as its SMIMECapabilities attribute, or
// none at all when nullopt (CMS_NOSMIMECAP).
std::vector<unsigned char> sign_announcing(std::string_view entity, X509* cert, EVP_PKEY* key,
                                           const std::optional<Announcement>& announced,
                                           const std::vector<X509*>& extra = {});

// The key encryption algorithm (NID) of the RecipientInfo of an (Auth)EnvelopedData that names
// `recipient` (RecipientInfos are a DER SET: their order is not the recipients'), with its
// OAEP hash when RSA-OAEP (NID_undef otherwise); key_encryption NID_undef when none names it.
struct RecipientAlgorithm {
  int key_encryption = NID_undef;
  int oaep_hash = NID_undef;
};
RecipientAlgorithm recipient_algorithm(CMS_ContentInfo* cms, X509* recipient);

}  // namespace smime::test
