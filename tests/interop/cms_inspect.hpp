// What a CMS blob actually contains (content type, algorithms per signer and recipient), read
// with OpenSSL's parser. A cell named "RSA-OAEP SHA-256" is only a pass if the message really
// used RSA-OAEP with SHA-256; the peer accepting it is not enough.
#pragma once

#include <openssl/x509.h>

#include <optional>
#include <string>
#include <vector>

namespace smime::test::interop {

struct SignerSummary {
  std::string digest;  // OpenSSL short name: "SHA256", "SHA384"
  std::string
      signature;  // "rsaEncryption", "sha256WithRSAEncryption", "RSASSA-PSS", "ecdsa-with-SHA256"
  std::string pss_hash;  // for RSASSA-PSS: the hash of the parameters
  int pss_salt_length = -1;
  std::vector<std::string> signed_attributes;  // short names: contentType, messageDigest, ...
};

struct RecipientSummary {
  std::string kind;  // "ktri" or "kari"
  std::string
      key_encryption;     // "rsaEncryption", "RSAES-OAEP", "dhSinglePass-stdDH-sha256kdf-scheme"
  std::string oaep_hash;  // for RSAES-OAEP: "SHA1" (the default) or the named hash
  std::string key_wrap;   // for kari: "id-aes256-wrap", ...
};

struct CmsSummary {
  std::string content_type;    // "signed-data", "enveloped-data", "auth-enveloped-data"
  std::string content_cipher;  // "aes-256-cbc", "id-aes128-GCM", ... for (auth)enveloped data
  bool has_content = false;    // signed-data: encapsulated content present (opaque)
  std::vector<SignerSummary> signers;
  int certificate_count = 0;
};

// Throws std::runtime_error if der is not a CMS ContentInfo.
CmsSummary inspect_cms(const std::string& der);
// The RecipientInfo addressed to this certificate (issuer and serial, or its key identifier).
std::optional<RecipientSummary> recipient_for(const std::string& der, X509* certificate);

}  // namespace smime::test::interop
