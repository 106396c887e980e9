#include "smime/pkcs11/token_key_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "attributes.hpp"
#include "key_object.hpp"
#include "key_objects.hpp"
#include "smime/common/error.hpp"
#include "smime/pkcs11/completion.hpp"
#include "smime/pkcs11/mechanisms.hpp"
#include "smime/pkcs11/module.hpp"
#include "smime/pkcs11/uri.hpp"
#include "token_private_key.hpp"

namespace smime::pkcs11 {
namespace {

std::vector<unsigned char> parse_id(std::string_view id_hex) {
  auto id = from_hex(id_hex);
  if (!id || id->empty()) {
    throw Error(ErrorCode::invalid_input,
                "Invalid key id '" + std::string(id_hex) + "': expected hexadecimal CKA_ID");
  }
  return *id;
}

std::vector<CK_OBJECT_HANDLE> objects_with(Session& s, std::span<const unsigned char> id,
                                           std::optional<CK_OBJECT_CLASS> cls) {
  AttributeTemplate match;
  match.add(CKA_ID, id);
  if (cls) match.add(CKA_CLASS, CK_ULONG{*cls});
  return find_objects(s, match);
}

std::string text_attribute(Session& s, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  auto value = read_attribute(s, object, type);
  return value ? std::string(value->begin(), value->end()) : std::string();
}

}  // namespace

TokenKeyStore::TokenKeyStore(std::shared_ptr<Token> token) : token_(std::move(token)) {
  token_->login();
}

std::string TokenKeyStore::uri_for(std::span<const unsigned char> id, const char* type) const {
  return make_uri({token_->label(), token_->serial(), id, type});
}

KeyInfo TokenKeyStore::generate(KeyAlgorithm algorithm, const std::string& label) {
  if (label.empty()) throw Error(ErrorCode::invalid_input, "A key needs a label");
  std::vector<unsigned char> id;
  // SoftHSM2 fails (or half-reads) a fresh key pair whose writing meets another process's write
  // of its file store; generate_key_pair leaves nothing behind, so it is made again, at most
  // three times in all. Input and PIN errors are never repeated.
  for (int attempt = 0;; ++attempt) {
    try {
      id = token_->run([&](Session& s) { return generate_key_pair(s, algorithm, label); });
      break;
    } catch (const Error& e) {
      // (unsupported included: a half-read public key shows as an unknown curve)
      const bool input = e.code() == ErrorCode::invalid_input || e.code() == ErrorCode::usage;
      if (input || e.code() == ErrorCode::pin_incorrect || e.code() == ErrorCode::pin_locked ||
          attempt == 2) {
        throw;
      }
      spdlog::debug("key generation failed ({}); once more", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
    }
  }
  auto info = find(to_hex(id));
  if (!info) throw Error(ErrorCode::token_failure, "The generated key cannot be found");
  return *info;
}

KeyInfo TokenKeyStore::import_private_key(const EVP_PKEY* key, const KeyImportOptions& options) {
  if (key == nullptr) throw Error(ErrorCode::invalid_input, "No private key given");
  if (!EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "EC")) {
    throw Error(ErrorCode::unsupported, std::string("Unsupported private key type ") +
                                            EVP_PKEY_get0_type_name(key) +
                                            ": only RSA and EC keys are accepted");
  }
  const std::vector<unsigned char> id = key_id_for(key);
  const std::string label =
      options.label.empty() ? "imported-" + to_hex(id).substr(0, 8) : options.label;
  token_->run([&](Session& s) {
    if (!objects_with(s, id, CKO_PRIVATE_KEY).empty()) {
      throw Error(ErrorCode::conflict,
                  "This private key is already in the token (id " + to_hex(id) + ")");
    }
    // A stale public object with this id (e.g. from a deleted key) would shadow the new one.
    for (CK_OBJECT_HANDLE h : objects_with(s, id, CKO_PUBLIC_KEY)) {
      check_rv(s.fn()->C_DestroyObject(s.handle(), h), "C_DestroyObject");
    }
    write_key_objects(s, key, id, label, options.exportable);
  });
  auto info = find(to_hex(id));
  if (!info) throw Error(ErrorCode::token_failure, "The imported key cannot be found");
  return *info;
}

std::vector<KeyInfo> TokenKeyStore::list() {
  // SoftHSM2 can show an object half-read while another process writes its store (a public
  // key without its value): the listing is read again, a few times, before that is believed.
  for (int attempt = 0;; ++attempt) {
    try {
      return list_once();
    } catch (const Error& e) {
      if (e.ckr() != CKR_OK || attempt == 3) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(20 << attempt));
    }
  }
}

std::vector<KeyInfo> TokenKeyStore::list_once() {
  return token_->run([&](Session& s) {
    std::map<std::string, KeyInfo> by_id;
    for (CK_OBJECT_CLASS cls : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_CERTIFICATE}) {
      AttributeTemplate match;
      match.add(CKA_CLASS, CK_ULONG{cls});
      for (CK_OBJECT_HANDLE h : find_objects(s, match)) {
        try {
          add_to_listing(s, h, cls, by_id);
        } catch (const Error& e) {
          // Deleted by another process since C_FindObjects (or, in SoftHSM2, briefly unreadable
          // while another process writes the store): not part of this listing.
          if (e.ckr() != CKR_OBJECT_HANDLE_INVALID) throw;
        }
      }
    }
    std::vector<KeyInfo> out;
    for (auto& [id, info] : by_id) {
      if (info.has_private || info.has_public) out.push_back(std::move(info));
    }
    return out;
  });
}

void TokenKeyStore::add_to_listing(Session& s, CK_OBJECT_HANDLE h, CK_OBJECT_CLASS cls,
                                   std::map<std::string, KeyInfo>& by_id) const {
  auto id = read_attribute(s, h, CKA_ID);
  if (!id || id->empty()) return;
  KeyInfo& info = by_id[to_hex(*id)];
  info.id = to_hex(*id);
  if (info.label.empty()) info.label = text_attribute(s, h, CKA_LABEL);
  if (cls == CKO_CERTIFICATE) {
    info.has_certificate = true;
    return;
  }
  auto key_type = read_ulong(s, h, CKA_KEY_TYPE);
  info.type = key_type && *key_type == CKK_EC ? KeyType::ec : KeyType::rsa;
  if (cls == CKO_PRIVATE_KEY) {
    info.has_private = true;
    info.label = text_attribute(s, h, CKA_LABEL);
    info.sensitive = read_bool(s, h, CKA_SENSITIVE).value_or(false);
    info.extractable = read_bool(s, h, CKA_EXTRACTABLE).value_or(true);
    info.always_sensitive = read_bool(s, h, CKA_ALWAYS_SENSITIVE).value_or(false);
    info.never_extractable = read_bool(s, h, CKA_NEVER_EXTRACTABLE).value_or(false);
    info.uri = uri_for(*id, "private");
    return;
  }
  info.has_public = true;
  EvpPkeyPtr pub = read_public_key(s, h);
  info.bits = static_cast<unsigned>(EVP_PKEY_get_bits(pub.get()));
  if (info.type == KeyType::ec) {
    auto params = read_attribute(s, h, CKA_EC_PARAMS);
    info.curve = params ? curve_display_name(curve_from_ec_params(*params)) : "";
  }
}

std::optional<KeyInfo> TokenKeyStore::find(std::string_view id_hex) {
  const std::string wanted = to_hex(parse_id(id_hex));
  for (auto& info : list()) {
    if (info.id == wanted) return info;
  }
  return std::nullopt;
}

void TokenKeyStore::remove(std::string_view id_hex) {
  const std::vector<unsigned char> id = parse_id(id_hex);
  {
    std::lock_guard lock(objects_mutex_);
    objects_.erase(to_hex(id));
  }
  token_->run([&](Session& s) {
    auto objects = objects_with(s, id, std::nullopt);
    if (objects.empty()) {
      throw Error(ErrorCode::not_found, "No key with id " + to_hex(id) + " in the token");
    }
    // Private key first: if anything fails afterwards, no usable orphan secret remains.
    std::stable_partition(objects.begin(), objects.end(), [&](CK_OBJECT_HANDLE h) {
      return read_ulong(s, h, CKA_CLASS) == CK_ULONG{CKO_PRIVATE_KEY};
    });
    for (CK_OBJECT_HANDLE h : objects) {
      check_rv(s.fn()->C_DestroyObject(s.handle(), h), "C_DestroyObject");
    }
  });
}

void TokenKeyStore::store_certificate(std::string_view id_hex, const std::string& label,
                                      std::span<const unsigned char> der) {
  const std::vector<unsigned char> id = parse_id(id_hex);
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    throw_openssl(ErrorCode::invalid_input, "Not a DER X.509 certificate");
  }
  auto encode_name = [](const X509_NAME* name) {
    unsigned char* out = nullptr;
    int len = i2d_X509_NAME(name, &out);
    OpensslBytesPtr owned(out);
    return std::vector<unsigned char>(out, out + std::max(len, 0));
  };
  unsigned char* serial_der = nullptr;
  int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert.get()), &serial_der);
  OpensslBytesPtr serial_owned(serial_der);

  AttributeTemplate attrs;
  attrs.add(CKA_CLASS, CK_ULONG{CKO_CERTIFICATE}).add(CKA_CERTIFICATE_TYPE, CK_ULONG{CKC_X_509});
  attrs.add(CKA_TOKEN, true).add(CKA_PRIVATE, false).add(CKA_ID, id).add(CKA_LABEL, label);
  attrs.add(CKA_VALUE, der).add(CKA_SUBJECT, encode_name(X509_get_subject_name(cert.get())));
  attrs.add(CKA_ISSUER, encode_name(X509_get_issuer_name(cert.get())));
  attrs.add(CKA_SERIAL_NUMBER,
            std::span<const unsigned char>(serial_der, static_cast<std::size_t>(serial_len)));
  token_->run([&](Session& s) {
    auto previous = objects_with(s, id, CKO_CERTIFICATE);
    CK_OBJECT_HANDLE created = CK_INVALID_HANDLE;
    check_rv(s.fn()->C_CreateObject(s.handle(), attrs.data(), attrs.size(), &created),
             "C_CreateObject(certificate)");
    // Replace, never duplicate: the new object exists before the old one goes.
    for (CK_OBJECT_HANDLE h : previous) s.fn()->C_DestroyObject(s.handle(), h);
  });
}

std::optional<std::vector<unsigned char>> TokenKeyStore::read_certificate(std::string_view id_hex) {
  const std::vector<unsigned char> id = parse_id(id_hex);
  return token_->run([&](Session& s) -> std::optional<std::vector<unsigned char>> {
    auto certs = objects_with(s, id, CKO_CERTIFICATE);
    if (certs.empty()) return std::nullopt;
    return read_attribute(s, certs.front(), CKA_VALUE);
  });
}

std::shared_ptr<KeyObject> TokenKeyStore::key_object(std::string_view id_hex) {
  const std::string id = to_hex(parse_id(id_hex));
  std::lock_guard lock(objects_mutex_);
  auto it = objects_.find(id);
  if (it == objects_.end()) {
    it = objects_.emplace(id, std::make_shared<KeyObject>(token_, *from_hex(id))).first;
  }
  return it->second;
}

EvpPkeyPtr TokenKeyStore::private_key(std::string_view id_hex) {
  std::shared_ptr<KeyObject> object = key_object(id_hex);
  EvpPkeyPtr public_part = public_key(id_hex);
  // Fails here, not at the first signature, when there is no private half.
  token_->run([&](Session& s) {
    if (objects_with(s, object->id(), CKO_PRIVATE_KEY).empty()) {
      throw Error(ErrorCode::not_found, "No private key with id " + to_hex(object->id()) +
                                            " in token '" + token_->label() + "'");
    }
  });
  return make_token_private_key(std::move(object), public_part.get());
}

EvpPkeyPtr TokenKeyStore::public_key(std::string_view id_hex) {
  const std::vector<unsigned char> id = parse_id(id_hex);
  return token_->run([&](Session& s) {
    auto objects = objects_with(s, id, CKO_PUBLIC_KEY);
    if (objects.empty()) objects = objects_with(s, id, CKO_PRIVATE_KEY);  // RSA carries n, e
    if (objects.empty()) {
      throw Error(ErrorCode::not_found, "No key with id " + to_hex(id) + " in the token");
    }
    return read_public_key(s, objects.front());
  });
}

EvpPkeyPtr TokenKeyStore::export_private_key(std::string_view id_hex) {
  const std::vector<unsigned char> id = parse_id(id_hex);
  return token_->run([&](Session& s) {
    auto priv = objects_with(s, id, CKO_PRIVATE_KEY);
    if (priv.empty()) {
      throw Error(ErrorCode::not_found, "No private key with id " + to_hex(id) + " in the token");
    }
    auto pub = objects_with(s, id, CKO_PUBLIC_KEY);
    return read_private_key(s, priv.front(), pub.empty() ? CK_INVALID_HANDLE : pub.front());
  });
}

}  // namespace smime::pkcs11

namespace smime::pkcs11 {

KeyStore::NativeSupport TokenKeyStore::native_support() {
  std::lock_guard lock(support_mutex_);
  if (!support_) {
    TokenCapabilities caps = probe_capabilities(*token_, /*active=*/true);
    support_ = NativeSupport{.rsa_oaep_sha1 = caps.oaep_sha1.value_or(false),
                             .rsa_oaep_sha256 = caps.oaep_sha256.value_or(false),
                             .rsa_raw = caps.rsa_x509,
                             .ecdh_kdf = caps.ecdh_kdf.value_or(false)};
  }
  return *support_;
}

SecureBytes TokenKeyStore::decrypt_rsa_oaep_completed(std::string_view id_hex,
                                                      std::span<const unsigned char> ciphertext,
                                                      const EVP_MD* md, const EVP_MD* mgf1_md,
                                                      std::span<const unsigned char> label) {
  CK_MECHANISM raw{CKM_RSA_X_509, nullptr, 0};
  SecureBytes block = key_object(id_hex)->decrypt(raw, ciphertext, ciphertext.size());
  return check_rsa_oaep(std::move(block), ciphertext.size(), md, mgf1_md, label);
}

SecureBytes TokenKeyStore::decrypt_rsa_oaep_native(std::string_view id_hex,
                                                   std::span<const unsigned char> ciphertext,
                                                   const EVP_MD* md) {
  CK_RSA_PKCS_OAEP_PARAMS params = oaep_mechanism_parameters(md);
  CK_MECHANISM mechanism{CKM_RSA_PKCS_OAEP, &params, sizeof params};
  try {
    return key_object(id_hex)->decrypt(mechanism, ciphertext, ciphertext.size());
  } catch (const Error& e) {
    if (is_token_unavailable(e)) throw;
    // The token's reason (CKR_ENCRYPTED_DATA_INVALID, ...) must not tell an attacker which
    // check failed: the same error as the software completion's.
    throw Error(ErrorCode::crypto, "RSA-OAEP decryption failed");
  }
}

SecureBytes TokenKeyStore::derive_ecdh_raw(std::string_view id_hex,
                                           std::span<const unsigned char> peer_point) {
  return key_object(id_hex)->derive_ecdh_raw(peer_point);
}

}  // namespace smime::pkcs11
