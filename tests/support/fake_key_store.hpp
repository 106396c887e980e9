// A KeyStore of software keys for tests that need no token (the API routes, the use cases,
// the engine): generation, import, listing, removal and export behave like the token's
// (non-exportable keys refuse export). The raw operations the engine completes in software
// (RSA-OAEP with SHA-2, ECDH without a KDF) are done with the software key; what the fake
// reports as native support is up to the test, so both of the engine's paths can run.
#pragma once

#include <atomic>
#include <map>
#include <mutex>

#include "smime/token/key_store.hpp"

namespace smime::test {

class FakeKeyStore final : public KeyStore {
 public:
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
  NativeSupport native_support() override { return native_; }
  void set_native_support(NativeSupport native) { native_ = native; }
  // How often the engine asked for a raw operation to complete in software.
  int completed_operations() const { return completed_; }
  SecureBytes decrypt_rsa_oaep_completed(std::string_view, std::span<const unsigned char>,
                                         const EVP_MD*, const EVP_MD*,
                                         std::span<const unsigned char>) override;
  // "The token's" CKM_RSA_PKCS_OAEP: a software decryption, counted apart.
  SecureBytes decrypt_rsa_oaep_native(std::string_view id_hex,
                                      std::span<const unsigned char> ciphertext,
                                      const EVP_MD* md) override;
  int native_operations() const { return native_operations_; }
  SecureBytes derive_ecdh_raw(std::string_view, std::span<const unsigned char>) override;
  EvpPkeyPtr export_private_key(std::string_view id_hex) override;

 private:
  struct Entry {
    EvpPkeyPtr key;
    KeyInfo info;
    std::optional<std::vector<unsigned char>> certificate;
  };
  KeyInfo add(EvpPkeyPtr key, const std::string& label, bool exportable);
  Entry& entry(std::string_view id_hex);

  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> keys_;
  NativeSupport native_;
  std::atomic<int> completed_{0};
  std::atomic<int> native_operations_{0};
};

}  // namespace smime::test
