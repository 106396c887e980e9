// What the token can do (C_GetMechanismList / C_GetMechanismInfo), and whether the S/MIME
// engine must complete RSA-OAEP-SHA256 or ECDH with the X9.63 KDF in software around the
// token's raw operation (SPEC §12: SoftHSM2 and many PIV cards cannot do either).
#pragma once

#include <openssl/evp.h>

#include <optional>
#include <string>
#include <vector>

#include "smime/pkcs11/token.hpp"

namespace smime::pkcs11 {

struct TokenCapabilities {
  std::vector<std::string> mechanisms;  // names such as "CKM_RSA_PKCS"
  bool rsa_keygen = false;
  bool ec_keygen = false;
  bool rsa_pkcs = false;  // v1.5 sign/decrypt
  bool rsa_pss = false;
  bool rsa_oaep = false;
  bool rsa_x509 = false;  // raw RSA, for OAEP completion in software
  bool ecdsa = false;
  bool ecdh_derive = false;  // CKM_ECDH1_DERIVE at all
  // Found by trying with temporary session keys (only when probed actively):
  std::optional<bool> oaep_sha1;    // C_Decrypt with CKM_RSA_PKCS_OAEP(SHA-1) works
  std::optional<bool> oaep_sha256;  // C_Decrypt with CKM_RSA_PKCS_OAEP(SHA-256) works
  std::optional<bool> ecdh_kdf;     // C_DeriveKey with CKD_SHA256_KDF works
  std::optional<bool> ecdh_raw;     // C_DeriveKey with CKD_NULL works

  bool needs_oaep_completion() const { return !oaep_sha256.value_or(false); }
  bool needs_ecdh_completion() const { return !ecdh_kdf.value_or(false); }
};

// active: also try OAEP-SHA256 and the ECDH KDFs with session (non-token) keys that are
// destroyed afterwards. Requires a logged-in token for the active part.
TokenCapabilities probe_capabilities(Token& token, bool active);

std::string mechanism_name(CK_MECHANISM_TYPE type);

// CK_RSA_PKCS_OAEP_PARAMS for `md` as the hash and the MGF1 hash, no label. Throws
// Error(unsupported) for a hash PKCS#11 has no OAEP constants for.
CK_RSA_PKCS_OAEP_PARAMS oaep_mechanism_parameters(const EVP_MD* md);

}  // namespace smime::pkcs11
