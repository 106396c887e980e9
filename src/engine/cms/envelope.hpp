// The parts of an EnvelopedData (RFC 5652) or AuthEnvelopedData (RFC 5083) that decryption
// needs, read from the DER of a parsed CMS structure: OpenSSL 3.0 has no public call to hand it
// a content-encryption key recovered outside its own (provider-bound) key transport, so the
// completion path recovers the key itself and decrypts the content here (SPEC §12).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "smime/common/handles.hpp"
#include "smime/common/secure_buffer.hpp"
#include "smime/engine/limits.hpp"

namespace smime::engine::cms {

// issuerAndSerialNumber or subjectKeyIdentifier of a recipient.
struct RecipientId {
  std::vector<unsigned char> issuer_der;  // Name
  std::vector<unsigned char> serial;      // INTEGER content octets
  std::vector<unsigned char> subject_key_id;
  bool matches(const X509* certificate) const;
  std::string issuer_text() const;  // one line, RFC 2253 order; empty for a key id
  std::string serial_hex() const;
};

struct KeyRecipient {
  enum class Kind { key_transport, key_agreement, other } kind = Kind::other;
  RecipientId id;
  std::vector<unsigned char> key_algorithm;  // AlgorithmIdentifier DER
  std::vector<unsigned char> encrypted_key;
  // key agreement only
  std::vector<unsigned char> originator_point;      // the sender's ephemeral public point
  std::vector<unsigned char> originator_algorithm;  // AlgorithmIdentifier DER of that key
  std::vector<unsigned char> ukm;                   // user keying material, may be empty
  bool has_ukm = false;
};

// Move it, never copy it: encrypted_content may point into its own storage.
struct Envelope {
  bool authenticated = false;  // AuthEnvelopedData
  std::vector<KeyRecipient> recipients;
  std::vector<unsigned char> content_type;       // OID DER of the inner content
  std::vector<unsigned char> content_algorithm;  // AlgorithmIdentifier DER
  // Into the DER it was read from (read_envelope_der: the caller's; read_envelope: storage),
  // or into storage when the content came in segments.
  std::span<unsigned char> encrypted_content;
  std::vector<unsigned char> storage;
  std::vector<unsigned char> auth_attributes;  // DER as an explicit SET (the GCM AAD), or empty
  std::vector<unsigned char> mac;              // AuthEnvelopedData tag
};

// Error(invalid_input) for a structure that is not (Auth)EnvelopedData or is malformed;
// Error(limit_exceeded) for more than max_recipients RecipientInfos (each
// RecipientEncryptedKey of a key agreement counts), found while reading so that a huge SET
// stops early.
Envelope read_envelope(CMS_ContentInfo* cms, std::size_t max_recipients = Limits{}.recipient_infos);
// The same read from the DER of a ContentInfo without parsing it into OpenSSL's structure (which
// would copy the encrypted content twice): encrypted_content points into `der`, which must
// outlive the envelope. Error(invalid_input) also for BER (indefinite lengths): read those
// with read_envelope after cms::parse.
Envelope read_envelope_der(std::span<unsigned char> der,
                           std::size_t max_recipients = Limits{}.recipient_infos);
// The content type of a DER ContentInfo (NID), or NID_undef when `der` is not DER of one.
int der_content_type(std::span<const unsigned char> der);

// Key length the content cipher needs (for sizing a random key when key transport fails).
std::size_t content_key_length(const Envelope& envelope);

// Decrypts (and for AuthEnvelopedData authenticates) the content. Any failure is the one
// Error(crypto, "The message could not be decrypted") so that it says nothing about the key.
// With `release`, the ciphertext's pages are handed back as it is decrypted (its last 32 bytes
// stay); when it fails, they are written back first (the decrypted bytes encrypted again), so
// that the envelope can be tried with the next key or given back as it came.
std::string decrypt_content(const Envelope& envelope, const SecureBytes& content_key,
                            bool release = false);

}  // namespace smime::engine::cms
