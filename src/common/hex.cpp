// Hex text for CKA_IDs and the key id convention shared by generated and imported keys.
#include "smime/common/hex.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "smime/common/error.hpp"
#include "smime/token/key_store.hpp"

namespace smime {

int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

std::optional<std::vector<unsigned char>> from_hex(std::string_view hex) {
  // Either plain pairs ("a1b2") or pairs separated by single colons ("A1:B2"), as openssl and
  // pkcs11-tool print them; anything else is ambiguous and refused.
  const bool colons = hex.find(':') != std::string_view::npos;
  const std::size_t stride = colons ? 3 : 2;
  if (colons ? (hex.size() + 1) % 3 != 0 : hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::vector<unsigned char> out;
  out.reserve((hex.size() + 1) / stride);
  for (std::size_t i = 0; i < hex.size(); i += stride) {
    const int high = hex_digit_value(hex[i]);
    const int low = hex_digit_value(hex[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    if (colons && i + 2 < hex.size() && hex[i + 2] != ':') {
      return std::nullopt;
    }
    out.push_back(static_cast<unsigned char>(high << 4 | low));
  }
  return out;
}

std::vector<unsigned char> key_id_for(const EVP_PKEY* public_key) {
  if (public_key == nullptr) {
    throw Error(ErrorCode::internal, "key_id_for: no key");
  }
  // Through the DER SubjectPublicKeyInfo so that any key OpenSSL can encode (including a
  // provider's) gets the same id, then hash the BIT STRING contents like subjectKeyIdentifier.
  unsigned char* der = nullptr;
  const int der_length = i2d_PUBKEY(public_key, &der);
  if (der_length <= 0) {
    throw_openssl(ErrorCode::crypto, "Cannot encode the public key");
  }
  OpensslBytesPtr der_owner(der);
  const unsigned char* p = der;
  X509PubkeyPtr spki(d2i_X509_PUBKEY(nullptr, &p, der_length));
  if (!spki) {
    throw_openssl(ErrorCode::crypto, "Cannot parse the encoded public key");
  }
  const unsigned char* bits = nullptr;
  int bits_length = 0;
  if (X509_PUBKEY_get0_param(nullptr, &bits, &bits_length, nullptr, spki.get()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot read the subjectPublicKey of the key");
  }
  std::vector<unsigned char> id(SHA_DIGEST_LENGTH);
  std::size_t id_length = 0;
  if (EVP_Q_digest(nullptr, "SHA1", nullptr, bits, static_cast<std::size_t>(bits_length), id.data(),
                   &id_length) != 1 ||
      id_length != id.size()) {
    throw_openssl(ErrorCode::crypto, "Cannot compute the SHA-1 key id");
  }
  return id;
}

}  // namespace smime
