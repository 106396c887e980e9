// Software keys and their encodings for tests: the inputs an operator would hand to the
// import command, made on the fly so no key material is checked into the tree.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>
#include <vector>

#include "smime/common/handles.hpp"

namespace smime::test {

// kind: "rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384", "ed25519", "dsa", and for
// rejection tests also "ec-p521", "ec-secp256k1", "ed448", "x25519". Always a key of
// OpenSSL's default provider, even when pkcs11-provider is loaded. Throws on an unknown kind.
EvpPkeyPtr generate_software_key(std::string_view kind);

// Unencrypted private key encodings.
std::string pem_pkcs1(const EVP_PKEY* key);  // "RSA PRIVATE KEY"; RSA only
std::string pem_sec1(const EVP_PKEY* key);   // "EC PRIVATE KEY"; EC only
std::string pem_pkcs8(const EVP_PKEY* key);  // "PRIVATE KEY"
std::vector<unsigned char> der_pkcs1(const EVP_PKEY* key);
std::vector<unsigned char> der_sec1(const EVP_PKEY* key);
std::vector<unsigned char> der_pkcs8(const EVP_PKEY* key);

// Encrypted private key encodings (AES-256-CBC).
std::string pem_encrypted_pkcs8(const EVP_PKEY* key, std::string_view passphrase);
std::vector<unsigned char> der_encrypted_pkcs8(const EVP_PKEY* key, std::string_view passphrase);
// Traditional OpenSSL encryption with "Proc-Type: 4,ENCRYPTED" ("openssl genrsa -aes256").
std::string pem_traditional_encrypted(const EVP_PKEY* key, std::string_view passphrase);

// Public key only: "PUBLIC KEY" (SubjectPublicKeyInfo).
std::string pem_public(const EVP_PKEY* key);
std::vector<unsigned char> der_public(const EVP_PKEY* key);

// A self-signed certificate for key (CN=test, one day, subjectKeyIdentifier=hash).
X509Ptr self_signed_certificate(EVP_PKEY* key);
std::string pem_certificate(const X509* certificate);
std::vector<unsigned char> der_certificate(const X509* certificate);

std::vector<unsigned char> as_bytes(std::string_view text);
// Same public key (and parameters); works across providers.
bool same_public_key(const EVP_PKEY* a, const EVP_PKEY* b);

}  // namespace smime::test
