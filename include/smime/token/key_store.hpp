// The key store abstraction: private keys that live in a token and never leave it unless
// imported as exportable. The PKCS#11 implementation is smime::pkcs11::TokenKeyStore; unit
// tests may substitute a fake.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smime/common/handles.hpp"
#include "smime/common/hex.hpp"
#include "smime/common/secure_buffer.hpp"

namespace smime {

enum class KeyAlgorithm { rsa_2048, rsa_3072, rsa_4096, ec_p256, ec_p384 };

// "rsa-2048", ..., "ec-p384" as used on the command line and in the API.
std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view text);
std::string_view to_string(KeyAlgorithm algorithm);

enum class KeyType { rsa, ec };
std::string_view to_string(KeyType type);

struct KeyInfo {
  std::string id;     // CKA_ID, lowercase hex; shared by private key, public key, certificate
  std::string label;  // CKA_LABEL
  KeyType type = KeyType::rsa;
  unsigned bits = 0;  // RSA modulus bits or EC field size
  std::string curve;  // "P-256" / "P-384" for EC, empty for RSA
  bool has_private = false;
  bool has_public = false;
  bool has_certificate = false;
  // Attributes of the private key object as the token reports them.
  bool sensitive = false;
  bool extractable = false;
  bool always_sensitive = false;
  bool never_extractable = false;
  std::string uri;  // PKCS#11 URI (RFC 7512) of the private key, never with a PIN
};

struct KeyImportOptions {
  std::string label;
  bool exportable = false;  // CKA_EXTRACTABLE=TRUE, CKA_SENSITIVE=FALSE only when asked
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Generates a key pair inside the token: sensitive, not extractable, private.
  virtual KeyInfo generate(KeyAlgorithm algorithm, const std::string& label) = 0;
  // Writes a software private key (RSA or EC) and its public key into the token.
  virtual KeyInfo import_private_key(const EVP_PKEY* key, const KeyImportOptions& options) = 0;

  virtual std::vector<KeyInfo> list() = 0;
  virtual std::optional<KeyInfo> find(std::string_view id_hex) = 0;
  // Destroys every object (private, public, certificate) with that CKA_ID.
  virtual void remove(std::string_view id_hex) = 0;

  virtual void store_certificate(std::string_view id_hex, const std::string& label,
                                 std::span<const unsigned char> der) = 0;
  virtual std::optional<std::vector<unsigned char>> read_certificate(std::string_view id_hex) = 0;

  // A handle OpenSSL can sign and decrypt with; the key material stays in the token.
  virtual EvpPkeyPtr private_key(std::string_view id_hex) = 0;
  // A software copy of the public key.
  virtual EvpPkeyPtr public_key(std::string_view id_hex) = 0;
  // Key transport and agreement the token cannot do itself are completed in software around
  // its raw operation (SPEC §12); what it can do natively is used natively.
  struct NativeSupport {
    bool rsa_oaep_sha1 = false;    // C_Decrypt with CKM_RSA_PKCS_OAEP, SHA-1 and MGF1-SHA-1
    bool rsa_oaep_sha256 = false;  // likewise with SHA-256 and MGF1-SHA-256
    bool rsa_raw = true;           // CKM_RSA_X_509, which the OAEP completion needs
    bool ecdh_kdf = false;         // C_DeriveKey with the X9.63 KDF (CKD_SHA*_KDF)
  };
  virtual NativeSupport native_support() = 0;
  // CKM_RSA_PKCS_OAEP in the token with `md` as the hash and the MGF1 hash and no label (what
  // native_support() says the token does). One error message for every padding failure.
  virtual SecureBytes decrypt_rsa_oaep_native(std::string_view id_hex,
                                              std::span<const unsigned char> ciphertext,
                                              const EVP_MD* md) = 0;
  // Raw RSA in the token, then a constant-time OAEP check in software. One error message
  // for every padding failure.
  virtual SecureBytes decrypt_rsa_oaep_completed(std::string_view id_hex,
                                                 std::span<const unsigned char> ciphertext,
                                                 const EVP_MD* md, const EVP_MD* mgf1_md,
                                                 std::span<const unsigned char> label) = 0;
  // ECDH with CKD_NULL in the token: the raw shared secret with the peer's point.
  virtual SecureBytes derive_ecdh_raw(std::string_view id_hex,
                                      std::span<const unsigned char> peer_point) = 0;

  // A software copy of a private key that was imported as exportable. Throws
  // Error(forbidden) for keys the token holds as sensitive / not extractable.
  virtual EvpPkeyPtr export_private_key(std::string_view id_hex) = 0;
};

// The CKA_ID convention: SHA-1 of the subjectPublicKey BIT STRING (RFC 5280 §4.2.1.2 method 1),
// so that a certificate's subject key identifier usually equals its key's id.
std::vector<unsigned char> key_id_for(const EVP_PKEY* public_key);

}  // namespace smime
