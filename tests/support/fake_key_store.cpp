#include "support/fake_key_store.hpp"

#include "smime/common/error.hpp"

namespace smime::test {
namespace {

EvpPkeyPtr dup(const EVP_PKEY* key) {
  EvpPkeyPtr copy(EVP_PKEY_dup(const_cast<EVP_PKEY*>(key)));
  if (!copy) throw_openssl(ErrorCode::crypto, "EVP_PKEY_dup failed");
  return copy;
}

}  // namespace

KeyInfo FakeKeyStore::add(EvpPkeyPtr key, const std::string& label, bool exportable) {
  KeyInfo info;
  info.id = to_hex(key_id_for(key.get()));
  info.label = label;
  info.type = EVP_PKEY_is_a(key.get(), "EC") ? KeyType::ec : KeyType::rsa;
  info.bits = static_cast<unsigned>(EVP_PKEY_get_bits(key.get()));
  info.has_private = info.has_public = true;
  info.sensitive = true;  // as the token key store: exportable only wrapped
  info.extractable = exportable;
  info.uri = "pkcs11:token=fake;id=" + info.id;
  std::lock_guard lock(mutex_);
  keys_[info.id] = Entry{std::move(key), info, std::nullopt};
  return info;
}

FakeKeyStore::Entry& FakeKeyStore::entry(std::string_view id_hex) {
  auto it = keys_.find(id_hex);
  if (it == keys_.end()) throw Error(ErrorCode::not_found, "No key " + std::string(id_hex));
  return it->second;
}

KeyInfo FakeKeyStore::generate(KeyAlgorithm algorithm, const std::string& label) {
  EvpPkeyPtr key;
  switch (algorithm) {
    case KeyAlgorithm::ec_p256:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
      break;
    case KeyAlgorithm::ec_p384:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
      break;
    default:
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  }
  if (!key) throw_openssl(ErrorCode::crypto, "keygen failed");
  return add(std::move(key), label, false);
}

KeyInfo FakeKeyStore::import_private_key(const EVP_PKEY* key, const KeyImportOptions& options) {
  return add(dup(key), options.label, options.exportable);
}

std::vector<KeyInfo> FakeKeyStore::list() {
  std::lock_guard lock(mutex_);
  std::vector<KeyInfo> out;
  for (const auto& [id, e] : keys_) out.push_back(e.info);
  return out;
}

std::optional<KeyInfo> FakeKeyStore::find(std::string_view id_hex) {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(id_hex);
  if (it == keys_.end()) return std::nullopt;
  return it->second.info;
}

void FakeKeyStore::remove(std::string_view id_hex) {
  std::lock_guard lock(mutex_);
  keys_.erase(std::string(id_hex));
}

void FakeKeyStore::store_certificate(std::string_view id_hex, const std::string&,
                                     std::span<const unsigned char> der) {
  std::lock_guard lock(mutex_);
  Entry& e = entry(id_hex);
  e.certificate = std::vector<unsigned char>(der.begin(), der.end());
  e.info.has_certificate = true;
}

std::optional<std::vector<unsigned char>> FakeKeyStore::read_certificate(std::string_view id_hex) {
  std::lock_guard lock(mutex_);
  return entry(id_hex).certificate;
}

EvpPkeyPtr FakeKeyStore::private_key(std::string_view id_hex) {
  std::lock_guard lock(mutex_);
  return dup(entry(id_hex).key.get());
}

EvpPkeyPtr FakeKeyStore::public_key(std::string_view id_hex) {
  std::lock_guard lock(mutex_);
  return dup(entry(id_hex).key.get());
}

SecureBytes FakeKeyStore::decrypt_rsa_oaep_completed(std::string_view,
                                                     std::span<const unsigned char>, const EVP_MD*,
                                                     const EVP_MD*,
                                                     std::span<const unsigned char>) {
  throw Error(ErrorCode::unsupported, "not in the fake key store");
}

SecureBytes FakeKeyStore::derive_ecdh_raw(std::string_view, std::span<const unsigned char>) {
  throw Error(ErrorCode::unsupported, "not in the fake key store");
}

EvpPkeyPtr FakeKeyStore::export_private_key(std::string_view id_hex) {
  std::lock_guard lock(mutex_);
  Entry& e = entry(id_hex);
  if (!e.info.extractable) throw Error(ErrorCode::forbidden, "The key is not extractable");
  return dup(e.key.get());
}

}  // namespace smime::test
