#include "support/fake_key_store.hpp"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

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

SecureBytes FakeKeyStore::decrypt_rsa_oaep_native(std::string_view id_hex,
                                                  std::span<const unsigned char> ciphertext,
                                                  const EVP_MD* md) {
  SecureBytes out = decrypt_rsa_oaep_completed(id_hex, ciphertext, md, md, {});
  --completed_;
  ++native_operations_;
  return out;
}

SecureBytes FakeKeyStore::decrypt_rsa_oaep_completed(std::string_view id_hex,
                                                     std::span<const unsigned char> ciphertext,
                                                     const EVP_MD* md, const EVP_MD* mgf1_md,
                                                     std::span<const unsigned char> label) {
  EvpPkeyPtr key = private_key(id_hex);
  ++completed_;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), mgf1_md) <= 0) {
    throw_openssl(ErrorCode::crypto, "RSA-OAEP set-up failed");
  }
  if (!label.empty()) {
    OpensslBytesPtr copy(static_cast<unsigned char*>(OPENSSL_memdup(label.data(), label.size())));
    if (!copy || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), copy.get(),
                                                  static_cast<int>(label.size())) <= 0) {
      throw_openssl(ErrorCode::crypto, "RSA-OAEP label failed");
    }
    static_cast<void>(copy.release());  // owned by the context now
  }
  std::size_t length = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &length, ciphertext.data(), ciphertext.size()) <= 0) {
    throw_openssl(ErrorCode::crypto, "RSA-OAEP decryption failed");
  }
  SecureBytes out(length);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &length, ciphertext.data(), ciphertext.size()) <= 0) {
    drain_openssl_errors();
    throw Error(ErrorCode::crypto, "RSA-OAEP decryption failed");
  }
  out.resize(length);
  return out;
}

SecureBytes FakeKeyStore::derive_ecdh_raw(std::string_view id_hex,
                                          std::span<const unsigned char> peer_point) {
  EvpPkeyPtr key = private_key(id_hex);
  ++completed_;
  char group[64] = {};
  std::size_t group_length = 0;
  if (EVP_PKEY_get_utf8_string_param(key.get(), "group", group, sizeof group, &group_length) != 1) {
    throw_openssl(ErrorCode::crypto, "not an EC key");
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("group", group, 0),
      OSSL_PARAM_construct_octet_string("pub", const_cast<unsigned char*>(peer_point.data()),
                                        peer_point.size()),
      OSSL_PARAM_construct_end()};
  EvpPkeyCtxPtr from(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw_peer = nullptr;
  if (!from || EVP_PKEY_fromdata_init(from.get()) <= 0 ||
      EVP_PKEY_fromdata(from.get(), &raw_peer, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
    throw_openssl(ErrorCode::crypto, "The peer point is not on the curve");
  }
  EvpPkeyPtr peer(raw_peer);
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  std::size_t length = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) <= 0 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &length) <= 0) {
    throw_openssl(ErrorCode::crypto, "ECDH failed");
  }
  SecureBytes secret(length);
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &length) <= 0) {
    throw_openssl(ErrorCode::crypto, "ECDH failed");
  }
  secret.resize(length);
  return secret;
}

EvpPkeyPtr FakeKeyStore::export_private_key(std::string_view id_hex) {
  std::lock_guard lock(mutex_);
  Entry& e = entry(id_hex);
  if (!e.info.extractable) throw Error(ErrorCode::forbidden, "The key is not extractable");
  return dup(e.key.get());
}

}  // namespace smime::test
