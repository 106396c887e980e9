// Fuzz target: `message incoming` as the helpdesk's mail reaches it, through the engine's
// public entry point (Engine::incoming) on a real SQLite store with no certificates and a key
// store with no keys: the RFC 5322 split, the S/MIME classification (RFC 1847 framing,
// transfer encodings), the DER walk of (Auth)EnvelopedData and its RecipientInfos, SignedData
// parsing and verification, nesting and limits. Incoming never throws for content, so any
// exception is a finding too, and so is a message that was not unwrapped and does not come
// back as it came.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "smime/common/error.hpp"
#include "smime/engine/engine.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/sqlite_store.hpp"

namespace {

// The organisation has no keys: every operation that needs one is refused.
class NoKeys final : public smime::KeyStore {
 public:
  [[noreturn]] static void none() {
    throw smime::Error(smime::ErrorCode::not_found, "No key in this token");
  }
  smime::KeyInfo generate(smime::KeyAlgorithm, const std::string&) override { none(); }
  smime::KeyInfo import_private_key(const EVP_PKEY*, const smime::KeyImportOptions&) override {
    none();
  }
  std::vector<smime::KeyInfo> list() override { return {}; }
  std::optional<smime::KeyInfo> find(std::string_view) override { return std::nullopt; }
  void remove(std::string_view) override { none(); }
  void store_certificate(std::string_view, const std::string&,
                         std::span<const unsigned char>) override {
    none();
  }
  std::optional<std::vector<unsigned char>> read_certificate(std::string_view) override {
    return std::nullopt;
  }
  smime::EvpPkeyPtr private_key(std::string_view) override { none(); }
  smime::EvpPkeyPtr public_key(std::string_view) override { none(); }
  NativeSupport native_support() override { return {}; }
  smime::SecureBytes decrypt_rsa_oaep_completed(std::string_view, std::span<const unsigned char>,
                                                const EVP_MD*, const EVP_MD*,
                                                std::span<const unsigned char>) override {
    none();
  }
  smime::SecureBytes decrypt_rsa_oaep_native(std::string_view, std::span<const unsigned char>,
                                             const EVP_MD*) override {
    none();
  }
  smime::SecureBytes derive_ecdh_raw(std::string_view, std::span<const unsigned char>) override {
    none();
  }
  smime::EvpPkeyPtr export_private_key(std::string_view) override { none(); }
};

struct Appliance {
  Appliance() {
    char pattern[] = "/tmp/smime-fuzz-XXXXXX";
    const char* dir = ::mkdtemp(pattern);
    if (dir == nullptr) std::abort();
    home = dir;
    store = smime::store::open_sqlite_store(home / "smime.db");
    certificates = std::make_unique<smime::service::CertificateService>(*store, keys);
    engine = std::make_unique<smime::engine::Engine>(*store, *certificates,
                                                     [this]() -> smime::KeyStore& { return keys; });
  }
  ~Appliance() {
    engine.reset();
    certificates.reset();
    store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(home, ignored);
  }
  std::filesystem::path home;
  NoKeys keys;
  std::unique_ptr<smime::store::Store> store;
  std::unique_ptr<smime::service::CertificateService> certificates;
  std::unique_ptr<smime::engine::Engine> engine;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Appliance appliance;
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  // An exception escaping here is a finding.
  const smime::engine::IncomingResult result = appliance.engine->incoming(std::string(message));
  // What is not unwrapped comes back byte for byte (its base64 lines were released while they
  // were decoded, and written back from the DER).
  if (!result.decrypted && !result.signed_ && result.message != message) std::abort();
  smime::drain_openssl_errors();
  return 0;
}
