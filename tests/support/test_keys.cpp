#include "support/test_keys.hpp"

#include <openssl/dsa.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>
#include <string>

#include "smime/common/error.hpp"
#include "smime/common/pem.hpp"

namespace smime::test {
namespace {

// pkcs11-provider shares the default library context in integration tests; test keys must
// still be plain software keys.
constexpr const char* kSoftware = "provider=default";

EvpPkeyPtr generate_dsa() {
  EvpPkeyCtxPtr param_ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", kSoftware));
  EVP_PKEY* params = nullptr;
  if (!param_ctx || EVP_PKEY_paramgen_init(param_ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_dsa_paramgen_bits(param_ctx.get(), 2048) != 1 ||
      EVP_PKEY_paramgen(param_ctx.get(), &params) != 1) {
    throw_openssl(ErrorCode::internal, "DSA parameter generation failed");
  }
  EvpPkeyPtr params_owner(params);
  EvpPkeyCtxPtr key_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, params, kSoftware));
  EVP_PKEY* key = nullptr;
  if (!key_ctx || EVP_PKEY_keygen_init(key_ctx.get()) != 1 ||
      EVP_PKEY_keygen(key_ctx.get(), &key) != 1) {
    throw_openssl(ErrorCode::internal, "DSA key generation failed");
  }
  return EvpPkeyPtr(key);
}

EvpPkeyPtr checked(EVP_PKEY* key, std::string_view kind) {
  if (key == nullptr) {
    throw_openssl(ErrorCode::internal, "Generating a " + std::string(kind) + " key failed");
  }
  return EvpPkeyPtr(key);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return {data, static_cast<std::size_t>(length)};
}

std::string encode(const EVP_PKEY* key, int selection, const char* output, const char* structure,
                   std::string_view passphrase = {}) {
  OsslEncoderCtxPtr ctx(
      OSSL_ENCODER_CTX_new_for_pkey(key, selection, output, structure, kSoftware));
  if (!ctx || OSSL_ENCODER_CTX_get_num_encoders(ctx.get()) == 0) {
    throw_openssl(ErrorCode::internal, std::string("No encoder for ") + output + " " + structure);
  }
  if (!passphrase.empty() &&
      (OSSL_ENCODER_CTX_set_cipher(ctx.get(), "AES-256-CBC", nullptr) != 1 ||
       OSSL_ENCODER_CTX_set_passphrase(ctx.get(),
                                       reinterpret_cast<const unsigned char*>(passphrase.data()),
                                       passphrase.size()) != 1)) {
    throw_openssl(ErrorCode::internal, "Cannot set the encoder passphrase");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || OSSL_ENCODER_to_bio(ctx.get(), bio.get()) != 1) {
    throw_openssl(ErrorCode::internal,
                  std::string("Encoding ") + output + " " + structure + " failed");
  }
  return bio_text(bio.get());
}

void require_type(const EVP_PKEY* key, const char* type, const char* what) {
  if (!EVP_PKEY_is_a(key, type)) {
    throw std::invalid_argument(std::string(what) + " needs a " + type + " key");
  }
}

}  // namespace

EvpPkeyPtr generate_software_key(std::string_view kind) {
  const auto rsa = [&](std::size_t bits) {
    return checked(EVP_PKEY_Q_keygen(nullptr, kSoftware, "RSA", bits), kind);
  };
  const auto ec = [&](const char* curve) {
    return checked(EVP_PKEY_Q_keygen(nullptr, kSoftware, "EC", curve), kind);
  };
  const auto plain = [&](const char* type) {
    return checked(EVP_PKEY_Q_keygen(nullptr, kSoftware, type), kind);
  };
  if (kind == "rsa-2048") {
    return rsa(2048);
  }
  if (kind == "rsa-3072") {
    return rsa(3072);
  }
  if (kind == "rsa-4096") {
    return rsa(4096);
  }
  if (kind == "ec-p256") {
    return ec("P-256");
  }
  if (kind == "ec-p384") {
    return ec("P-384");
  }
  if (kind == "ec-p521") {
    return ec("P-521");
  }
  if (kind == "ec-secp256k1") {
    return ec("secp256k1");
  }
  if (kind == "ed25519") {
    return plain("ED25519");
  }
  if (kind == "ed448") {
    return plain("ED448");
  }
  if (kind == "x25519") {
    return plain("X25519");
  }
  if (kind == "dsa") {
    return generate_dsa();
  }
  throw std::invalid_argument("generate_software_key: unknown kind " + std::string(kind));
}

std::string pem_pkcs1(const EVP_PKEY* key) {
  require_type(key, "RSA", "pem_pkcs1");
  return encode(key, EVP_PKEY_KEYPAIR, "PEM", "type-specific");
}

std::string pem_sec1(const EVP_PKEY* key) {
  require_type(key, "EC", "pem_sec1");
  return encode(key, EVP_PKEY_KEYPAIR, "PEM", "type-specific");
}

std::string pem_pkcs8(const EVP_PKEY* key) {
  return encode(key, EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo");
}

std::vector<unsigned char> der_pkcs1(const EVP_PKEY* key) {
  require_type(key, "RSA", "der_pkcs1");
  return as_bytes(encode(key, EVP_PKEY_KEYPAIR, "DER", "type-specific"));
}

std::vector<unsigned char> der_sec1(const EVP_PKEY* key) {
  require_type(key, "EC", "der_sec1");
  return as_bytes(encode(key, EVP_PKEY_KEYPAIR, "DER", "type-specific"));
}

std::vector<unsigned char> der_pkcs8(const EVP_PKEY* key) {
  return as_bytes(encode(key, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo"));
}

std::string pem_encrypted_pkcs8(const EVP_PKEY* key, std::string_view passphrase) {
  if (passphrase.empty()) {
    throw std::invalid_argument("pem_encrypted_pkcs8: empty passphrase");
  }
  return encode(key, EVP_PKEY_KEYPAIR, "PEM", "EncryptedPrivateKeyInfo", passphrase);
}

std::vector<unsigned char> der_encrypted_pkcs8(const EVP_PKEY* key, std::string_view passphrase) {
  if (passphrase.empty()) {
    throw std::invalid_argument("der_encrypted_pkcs8: empty passphrase");
  }
  return as_bytes(encode(key, EVP_PKEY_KEYPAIR, "DER", "EncryptedPrivateKeyInfo", passphrase));
}

std::string pem_traditional_encrypted(const EVP_PKEY* key, std::string_view passphrase) {
  if (passphrase.empty()) {
    throw std::invalid_argument("pem_traditional_encrypted: empty passphrase");
  }
  // The type-specific PEM encoder with a cipher writes the Proc-Type/DEK-Info headers.
  return encode(key, EVP_PKEY_KEYPAIR, "PEM", "type-specific", passphrase);
}

std::string pem_public(const EVP_PKEY* key) {
  return encode(key, EVP_PKEY_PUBLIC_KEY, "PEM", "SubjectPublicKeyInfo");
}

std::vector<unsigned char> der_public(const EVP_PKEY* key) {
  return as_bytes(encode(key, EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo"));
}

X509Ptr self_signed_certificate(EVP_PKEY* key) {
  X509Ptr cert(X509_new());
  if (!cert) {
    throw_openssl(ErrorCode::internal, "X509_new failed");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool built =
      X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("test"), -1, -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 60 * 60) != nullptr &&
      X509_set_pubkey(cert.get(), key) == 1;
  if (!built) {
    throw_openssl(ErrorCode::internal, "Cannot fill in the test certificate");
  }

  // subjectKeyIdentifier computed by OpenSSL itself, the reference for key_id_for.
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509ExtensionPtr ski(X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_key_identifier, "hash"));
  if (!ski || X509_add_ext(cert.get(), ski.get(), -1) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot add subjectKeyIdentifier");
  }
  const bool has_digest = !(EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"));
  if (X509_sign(cert.get(), key, has_digest ? EVP_sha256() : nullptr) <= 0) {
    throw_openssl(ErrorCode::internal, "Cannot sign the test certificate");
  }
  return cert;
}

std::string pem_certificate(const X509* certificate) {
  return certificate_pem(certificate);
}

std::vector<unsigned char> der_certificate(const X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  if (length <= 0) {
    throw_openssl(ErrorCode::internal, "Cannot write the certificate as DER");
  }
  OpensslBytesPtr owner(der);
  return std::vector<unsigned char>(der, der + length);
}

std::vector<unsigned char> as_bytes(std::string_view text) {
  return std::vector<unsigned char>(text.begin(), text.end());
}

bool same_public_key(const EVP_PKEY* a, const EVP_PKEY* b) {
  return a != nullptr && b != nullptr && EVP_PKEY_eq(a, b) == 1;
}

}  // namespace smime::test
