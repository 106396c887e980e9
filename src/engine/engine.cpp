#include "engine_state.hpp"
#include "smime/common/error.hpp"

namespace smime::engine {

EvpPkeyPtr EngineState::private_key(KeyStore& keys, const std::string& key_id) {
  std::lock_guard lock(keys_mutex);
  auto it = private_keys.find(key_id);
  if (it == private_keys.end()) {
    it = private_keys.emplace(key_id, keys.private_key(key_id)).first;
  }
  if (EVP_PKEY_up_ref(it->second.get()) != 1) throw_openssl(ErrorCode::internal, "EVP_PKEY_up_ref");
  return EvpPkeyPtr(it->second.get());
}

Engine::Engine(store::Store& store, service::CertificateService& certificates,
               service::CertificateService::KeyStoreAccess keys, Policy policy, Limits limits)
    : store_(store),
      certificates_(certificates),
      keys_(std::move(keys)),
      policy_(policy),
      limits_(limits),
      caches_(std::make_unique<EngineState>(store)) {}

Engine::~Engine() = default;

void Engine::enable_online_revocation(std::shared_ptr<HttpClient> http, RevocationSettings settings,
                                      RevocationListener listener) {
  if (!http || (!settings.fetch_crls && !settings.ocsp)) {
    caches_->online.reset();
    return;
  }
  caches_->online = std::make_unique<revocation::OnlineRevocation>(
      std::move(http), std::move(settings), std::move(listener), certificates_);
}

std::size_t Engine::refresh_crls() {
  if (!caches_->online || !caches_->online->context.settings().fetch_crls) return 0;
  return caches_->online->crls.refresh(certificates_.now());
}

RevocationCounts Engine::revocation_counts() const {
  return caches_->online ? caches_->online->context.counts() : RevocationCounts{};
}

bool IncomingResult::ok() const {
  if (!errors.empty()) return false;
  if (encrypted && !decrypted) return false;
  if (signed_ && signature != SignatureStatus::valid && signature != SignatureStatus::expired) {
    return false;
  }
  return true;
}

std::optional<SignatureScheme> parse_signature_scheme(std::string_view text) {
  if (text == "pkcs1") return SignatureScheme::rsa_pkcs1;
  if (text == "pss") return SignatureScheme::rsa_pss;
  return std::nullopt;
}

std::optional<ContentCipher> parse_content_cipher(std::string_view text) {
  if (text == "aes-256-cbc") return ContentCipher::aes256_cbc;
  if (text == "aes-128-gcm") return ContentCipher::aes128_gcm;
  if (text == "aes-256-gcm") return ContentCipher::aes256_gcm;
  return std::nullopt;
}

std::optional<KeyTransport> parse_key_transport(std::string_view text) {
  if (text == "rsa-pkcs1") return KeyTransport::rsa_pkcs1;
  if (text == "rsa-oaep-sha1") return KeyTransport::rsa_oaep_sha1;
  if (text == "rsa-oaep-sha256" || text == "rsa-oaep") return KeyTransport::rsa_oaep_sha256;
  return std::nullopt;
}

std::string_view to_string(SignatureScheme value) {
  return value == SignatureScheme::rsa_pss ? "pss" : "pkcs1";
}

std::string_view to_string(ContentCipher value) {
  switch (value) {
    case ContentCipher::aes128_gcm:
      return "aes-128-gcm";
    case ContentCipher::aes256_gcm:
      return "aes-256-gcm";
    case ContentCipher::aes256_cbc:
      break;
  }
  return "aes-256-cbc";
}

std::string_view to_string(KeyTransport value) {
  switch (value) {
    case KeyTransport::rsa_oaep_sha1:
      return "rsa-oaep-sha1";
    case KeyTransport::rsa_oaep_sha256:
      return "rsa-oaep-sha256";
    case KeyTransport::rsa_pkcs1:
      break;
  }
  return "rsa-pkcs1";
}

std::string_view to_string(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::none:
      return "none";
    case SignatureStatus::valid:
      return "valid";
    case SignatureStatus::invalid:
      return "invalid";
    case SignatureStatus::unknown_signer:
      return "unknown_signer";
    case SignatureStatus::expired:
      return "expired";
    case SignatureStatus::revoked:
      return "revoked";
    case SignatureStatus::sender_mismatch:
      return "sender_mismatch";
  }
  return "none";
}

}  // namespace smime::engine
