// KeyStore backed by a PKCS#11 token (SPEC §4). Private keys are generated or imported into
// the token and handed to OpenSSL as keys whose private operations run in the token through
// our own sessions and login (token_private_key.hpp).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "smime/pkcs11/token.hpp"
#include "smime/token/key_store.hpp"

namespace smime::pkcs11 {

class TokenKeyStore final : public KeyStore {
 public:
  // Logs in (once per process).
  explicit TokenKeyStore(std::shared_ptr<Token> token);

  KeyInfo generate(KeyAlgorithm algorithm, const std::string& label) override;
  KeyInfo import_private_key(const EVP_PKEY* key, const KeyImportOptions& options) override;
  std::vector<KeyInfo> list() override;
  std::optional<KeyInfo> find(std::string_view id_hex) override;
  void remove(std::string_view id_hex) override;
  void store_certificate(std::string_view id_hex, const std::string& label,
                         std::span<const unsigned char> der) override;
  std::optional<std::vector<unsigned char>> read_certificate(std::string_view id_hex) override;
  EvpPkeyPtr private_key(std::string_view id_hex) override;
  EvpPkeyPtr public_key(std::string_view id_hex) override;
  EvpPkeyPtr export_private_key(std::string_view id_hex) override;
  // Probed actively once (session keys, destroyed afterwards), then remembered.
  NativeSupport native_support() override;
  SecureBytes decrypt_rsa_oaep_completed(std::string_view id_hex,
                                         std::span<const unsigned char> ciphertext,
                                         const EVP_MD* md, const EVP_MD* mgf1_md,
                                         std::span<const unsigned char> label) override;
  SecureBytes decrypt_rsa_oaep_native(std::string_view id_hex,
                                      std::span<const unsigned char> ciphertext,
                                      const EVP_MD* md) override;
  SecureBytes derive_ecdh_raw(std::string_view id_hex,
                              std::span<const unsigned char> peer_point) override;

  // PKCS#11 URI of an object of this token (no PIN in it).
  std::string uri_for(std::span<const unsigned char> id, const char* type) const;
  Token& token() noexcept { return *token_; }

 private:
  // The private key object with that id, its handle looked up once (key_object.hpp).
  std::shared_ptr<class KeyObject> key_object(std::string_view id_hex);
  std::vector<KeyInfo> list_once();
  // One object of list(): its key's entry in by_id gains what the object says.
  void add_to_listing(Session& s, CK_OBJECT_HANDLE h, CK_OBJECT_CLASS cls,
                      std::map<std::string, KeyInfo>& by_id) const;

  std::shared_ptr<Token> token_;
  std::mutex objects_mutex_;
  std::map<std::string, std::shared_ptr<KeyObject>, std::less<>> objects_;
  std::mutex support_mutex_;
  std::optional<NativeSupport> support_;
};

}  // namespace smime::pkcs11
