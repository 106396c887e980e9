// Keys in the token: generation inside the token (with a CSR or a self-signed certificate
// signed there), private key import and export, deletion, and the listing.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smime/app/caller.hpp"
#include "smime/app/dependencies.hpp"
#include "smime/common/secure_buffer.hpp"

namespace smime::app {

struct KeyGeneration {
  KeyAlgorithm algorithm = KeyAlgorithm::ec_p256;
  std::string label;
  std::string subject;              // DN of the CSR / certificate; default from the first email
  std::vector<std::string> emails;  // their SAN; needed for a CSR or a certificate
  bool csr = false;
  bool self_signed = false;
  int days = 365;  // validity of the self-signed certificate, 1 to 3650
};

struct GeneratedKey {
  KeyInfo key;
  std::string csr_pem;                                  // when asked for a CSR
  std::optional<store::CertificateRecord> certificate;  // the self-signed one, stored
  std::string certificate_pem;
};

struct KeyImport {
  std::span<const unsigned char> key_file;  // PEM/DER PKCS#1, PKCS#8, SEC1, encrypted PKCS#8
  const SecretString* passphrase = nullptr;
  std::string fingerprint;  // when given, the key must belong to this certificate
  bool exportable = false;
  std::string label;   // token label; default derived from the certificate
  std::string source;  // where the key came from ("key.pem"), if known
};

struct ImportedKey {
  std::vector<store::CertificateRecord> certificates;  // that now have their key
  std::string token_key_id;
  bool exportable = false;
};

struct ExportedKey {
  std::string fingerprint;
  SecretString pem;  // encrypted PKCS#8 (AES-256) under the caller's passphrase
};

class KeyUseCases {
 public:
  explicit KeyUseCases(const Dependencies& deps) : deps_(deps) {}

  std::vector<KeyInfo> list();
  // All or nothing: a key whose CSR or certificate fails is removed again. Invalid requests
  // (unknown subject attribute, no email for a CSR) are refused before the key exists.
  GeneratedKey generate(const Caller& caller, const KeyGeneration& request);
  // By CKA_ID or a unique prefix of at least 8 hex digits. Refused (conflict) for a key that
  // a stored certificate uses or that the appliance reserved (smimed's TLS key). Returns
  // the full id.
  std::string remove(const Caller& caller, std::string_view id);
  ImportedKey import_key(const Caller& caller, const KeyImport& request);
  // Only keys imported as exportable (Error(forbidden) otherwise); the passphrase must not
  // be empty.
  ExportedKey export_key(const Caller& caller, std::string_view fingerprint,
                         const SecretString& passphrase);

 private:
  std::string full_key_id(std::string_view id);
  const Dependencies& deps_;
};

}  // namespace smime::app
