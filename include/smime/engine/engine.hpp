// The S/MIME engine (SPEC §7): outgoing sign / encrypt / sign-then-encrypt of complete RFC 5322
// messages with token keys, and incoming decrypt / verify in any nesting. Policy decisions
// (which certificate, which recipients) go through the certificate service; private-key
// operations through the key store, so the keys stay in the token.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smime/engine/limits.hpp"
#include "smime/engine/revocation.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/store.hpp"
#include "smime/token/key_store.hpp"

namespace smime::engine {

namespace mime {
struct SignedFrame;
}

enum class SignatureScheme { rsa_pkcs1, rsa_pss };  // ECDSA keys always sign with ECDSA
enum class ContentCipher { aes256_cbc, aes128_gcm, aes256_gcm };
enum class KeyTransport { rsa_pkcs1, rsa_oaep_sha1, rsa_oaep_sha256 };  // EC recipients: ECDH

std::optional<SignatureScheme> parse_signature_scheme(std::string_view text);  // "pkcs1", "pss"
std::optional<ContentCipher> parse_content_cipher(std::string_view text);      // "aes-256-cbc", ...
std::optional<KeyTransport> parse_key_transport(std::string_view text);        // "rsa-pkcs1", ...
std::string_view to_string(SignatureScheme value);
std::string_view to_string(ContentCipher value);
std::string_view to_string(KeyTransport value);

// How incoming signatures are judged ([verification] in the configuration).
struct VerificationPolicy {
  bool reject_sha1 = false;  // SHA-1 signatures are invalid (else valid with weak_algorithm)
  // Unknown revocation status (no CRL, or one past its nextUpdate): hard makes the signature
  // invalid, soft (the default) leaves it valid with the warning revocation_unknown.
  bool revocation_hard = false;
  // The signer's own certificate is judged at the signingTime the signer claims (signed
  // attribute) instead of now: one that has expired since is valid with the warning
  // expired_since_signing. CAs are always judged now; no signingTime: judged now.
  bool leaf_at_signing_time = false;
  // The group whose own setting decided revocation_hard / reject_sha1 for this message (empty:
  // the appliance's [verification] setting); named in the reasons.
  std::string revocation_group = {};
  std::string sha1_group = {};
};

// Defaults an organisation sets once (config); a request may override them.
struct Policy {
  SignatureScheme signature = SignatureScheme::rsa_pkcs1;
  // [encryption] cipher / key_transport: unset ("auto") chooses from the recipients'
  // announced capabilities (AES-GCM only when every recipient announced it, else AES-256-CBC;
  // RSA-OAEP only for a recipient that announced it, else PKCS#1 v1.5); set forces it.
  std::optional<ContentCipher> cipher;
  std::optional<KeyTransport> transport;
  bool encrypt_to_sender = true;  // the sent copy stays readable
  bool opaque_signing = false;    // application/pkcs7-mime signed-data instead of detached
  VerificationPolicy verification;
};

struct OutgoingRequest {
  std::string_view message;  // complete RFC 5322 message
  // When set, the string `message` views, taken over: its buffer becomes the entity and is
  // released while it is encrypted (a large message is not held twice). Empty afterwards, and
  // `message` no longer valid, whether outgoing() returns or throws.
  std::string* take = nullptr;
  std::optional<bool> sign;      // unset: the group default
  std::optional<bool> encrypt;   // unset: the group default
  std::string group;             // group name; empty: the group whose email is From
  std::vector<std::string> bcc;  // explicit Bcc recipients besides the Bcc header
  std::optional<SignatureScheme> signature;
  std::optional<ContentCipher> cipher;
  std::optional<KeyTransport> transport;
  std::optional<bool> opaque;
  std::optional<bool> encrypt_to_sender;
};

struct UsedCertificate {
  std::string address;
  std::string fingerprint;
  std::string subject;
  // Encryption recipients only (empty otherwise): the key transport used for this recipient
  // ("rsa-pkcs1", "rsa-oaep-sha1", "rsa-oaep-sha256", "ecdh") and why, and what the recipient
  // announced (capabilities_source: "appliance" for a certificate whose key is in the token,
  // "message" recorded from its verified signed mail, "certificate" its certificate's
  // SMIMECapabilities extension, or "none").
  std::string key_transport = {};
  std::string key_transport_reason = {};
  std::vector<std::string> capabilities = {};
  std::string capabilities_source = {};
};

struct OutgoingResult {
  std::string message;  // the processed message, CRLF line endings
  bool signed_ = false;
  bool encrypted = false;
  std::optional<UsedCertificate> signer;
  std::vector<UsedCertificate> recipients;
  std::string micalg;  // "sha-256", ... when signed
  std::string format;  // "multipart/signed", "signed-data", "enveloped-data", ...
  // When encrypted: the content cipher ("aes-256-gcm", ...) and why ("aes-256-cbc: bob@b.example
  // did not announce AES-GCM", "aes-256-gcm: forced by [encryption] cipher").
  std::string cipher;
  std::string cipher_reason;
  std::string decided_by;  // "request", "group <name>" or "default"
  // Encryption was asked for "if possible" (no explicit encrypt) but the message went out
  // without it: which recipient(s) had no usable certificate and why (issue 17 item 7).
  std::string not_encrypted_reason;
  // The message's own header fields, as the engine parsed them (the audit entry uses them).
  std::string message_id;              // without <>
  std::vector<std::string> addresses;  // From, To, Cc, Bcc in that order
};

enum class SignatureStatus {
  none,
  valid,
  invalid,
  unknown_signer,
  expired,
  revoked,
  sender_mismatch
};
std::string_view to_string(SignatureStatus status);

struct SignerDetails {
  std::string fingerprint;
  std::string subject;
  std::string issuer;
  std::string serial;
  std::vector<std::string> emails;
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
  bool stored = false;  // the certificate is in our store
  // The signer's certificate itself (DER), for certificate harvesting; not part of the JSON.
  std::vector<unsigned char> der;
  // When the signature verified (integrity and chain): the certificates between the signer
  // and its trust anchor on the validated chain that are not stored (DER, harvesting), and
  // the SMIMECapabilities the signer announced (names, cms/capabilities.hpp) with the
  // signature's signingTime (unix seconds, 0 when absent). The capabilities are in the JSON.
  std::vector<std::vector<unsigned char>> unstored_intermediates;
  std::vector<std::string> capabilities;
  std::int64_t signing_time = 0;
};

// A certificate or key the appliance lacks; resubmitting after importing it succeeds.
struct MissingItem {
  std::string kind;  // "key" (no org key for any RecipientInfo) or "certificate" (signer/issuer)
  std::string issuer;
  std::string serial;          // lowercase hex
  std::string subject_key_id;  // lowercase hex
  std::string subject;         // for "certificate" when known (e.g. the issuer we lack)
};

// One check of one signature. status values per check:
//   integrity:    valid | invalid | not_checked
//   chain:        valid | unknown_issuer | invalid | not_checked
//   revocation:   good | revoked | unknown | not_checked  (source: "ocsp", "crl", "ocsp+crl"
//                 when the chain's certificates were answered by both, or "none"; origin of a
//                 CRL answer: "stored", "fetched" or "message")
//   sender_match: match | mismatch | not_checked
//   validity:     valid | expired | not_yet_valid | not_checked  (the signer's certificate)
//   algorithm:    ok | weak | unsupported  (name: the signature and digest algorithms)
struct SignatureCheck {
  std::string status = "not_checked";
  std::string reason;
  std::string certificate;  // subject of the certificate the check failed on, when one did
  std::string source;       // revocation: where the answer came from
  std::string origin;       // revocation by CRL: stored | fetched | message
  std::string name;         // algorithm: what was used
};

struct SignatureChecks {
  SignatureCheck integrity, chain, revocation, sender_match, validity, algorithm;
};

// One signature layer of an incoming message, outermost first.
struct SignatureLayer {
  std::string format;  // "multipart/signed" or "signed-data"
  SignatureStatus status = SignatureStatus::invalid;
  std::string reason;
  std::optional<SignerDetails> signer;
  SignatureChecks checks;
  std::vector<std::string>
      warnings;  // "weak_algorithm", "revocation_unknown", "expired_since_signing"
};

struct ProcessingError {
  std::string code;  // "not_mime", "bad_cms", "no_key", "decrypt_failed", "signature", ...
  std::string message;
};

struct IncomingResult {
  bool encrypted = false;
  bool decrypted = false;
  bool signed_ = false;
  SignatureStatus signature = SignatureStatus::none;
  std::string signature_reason;  // human sentence for the status
  std::optional<SignerDetails> signer;
  std::vector<std::string> layers;  // outermost first: "enveloped-data", "signed-data", ...
  // Every signature layer with its checks apart, outermost first; `signature` above is the
  // outermost one's status.
  std::vector<SignatureLayer> signatures;
  std::string message;  // the decrypted message when available, else the original
  std::vector<ProcessingError> errors;
  std::vector<MissingItem> missing;
  std::string decryption_key;  // fingerprint of the org certificate whose key decrypted
  // The received message's own header fields (empty when it is not a message).
  std::string message_id;              // without <>
  std::vector<std::string> addresses;  // From, To, Cc, Bcc in that order
  // Filled by the application layer, not the engine: the fingerprint of the signer certificate
  // the harvest policy stored ([certificates] harvest); empty when none was stored.
  std::string harvested_certificate;
  // Likewise: the intermediates of the signer's validated chain the harvest policy stored.
  std::vector<std::string> harvested_intermediates;
  // Filled by the application layer: the certificates whose recorded capabilities this
  // message changed (the signers of verified layers that announced SMIMECapabilities).
  std::vector<std::string> capabilities_recorded;

  // Fully processed: decrypted when encrypted, and a valid (or merely expired) signature.
  bool ok() const;
};

// Preflight: what a composer needs to enable its Sign and Encrypt buttons (SPEC §7).
struct PreflightRequest {
  std::string from = {};
  std::vector<std::string> to = {};
  std::vector<std::string> cc = {};
  std::vector<std::string> bcc = {};
  std::string group = {};                      // optional; else the group whose address is `from`
  std::optional<bool> encrypt_to_sender = {};  // default: the policy
};

struct PreflightSign {
  bool possible = false;
  std::string reason;  // "The certificate for a@b was found / ..., but has expired / ..."
  std::optional<UsedCertificate> certificate;
};

struct MissingRecipient {
  std::string address;
  std::string reason;
};

struct PreflightEncrypt {
  bool possible = false;
  std::string reason;  // the first missing recipient's reason, or "There was no recipient found"
  // One per recipient that has a usable one, with the key transport it would get.
  std::vector<UsedCertificate> certificates;
  // When possible: the content cipher outgoing would use and why (as OutgoingResult).
  std::string cipher = {};
  std::string cipher_reason = {};
  std::vector<MissingRecipient> missing;
};

struct PreflightDefaults {
  std::string group;      // empty when no group applies
  std::string behaviour;  // sign-encrypt | sign | encrypt | none
  bool sign = false;
  bool encrypt = false;
};

struct PreflightResult {
  PreflightSign sign;
  PreflightEncrypt encrypt;
  PreflightDefaults defaults;
};

class EngineState;        // caches of parsed certificates and key handles (src/engine)
struct ForcedAlgorithms;  // a cipher or key transport the request or policy forces
class TrustSnapshot;      // the store's certificates as parsed at one revision (src/engine)

class Engine {
 public:
  // store, certificates and keys must outlive the engine. Parsed certificates, trust anchors
  // and key handles are cached and refreshed when the store changes.
  Engine(store::Store& store, service::CertificateService& certificates,
         service::CertificateService::KeyStoreAccess keys, Policy policy = {}, Limits limits = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Throws Error: invalid_input (not a message; signing without exactly one From address, or
  // with more than one From or Sender field), limit_exceeded (more MIME parts, nesting or
  // addresses than Limits allow), no_certificate (no usable certificate: the message names
  // the address and the reason), not_found (unknown group), unsupported, token errors.
  OutgoingResult outgoing(const OutgoingRequest& request);
  // Never throws for bad message content: the reason is in the result (a limit reached is an
  // error with code "limit_exceeded"). Each organisation key is tried at most once. The
  // message's buffer becomes the entity and then the result's message (moved in, a large
  // message is not copied); gone when it throws.
  IncomingResult incoming(std::string message);
  // Reads the store only (no token operation). Throws Error(not_found) for an unknown group,
  // Error(invalid_input) for an address that is not one, Error(limit_exceeded) for more
  // addresses than Limits::addresses.
  PreflightResult preflight(const PreflightRequest& request);

  // Online revocation (issue 16): OCSP and CRL fetching over `http`; listener hears every
  // fetch and query (audit entries). Call before the engine serves requests. Without it, only
  // stored CRLs and those in the message are used.
  void enable_online_revocation(std::shared_ptr<HttpClient> http, RevocationSettings settings,
                                RevocationListener listener = {});
  // One pass of the refresher: fetched CRLs whose nextUpdate is within the refresh margin are
  // fetched again; returns how many were stored anew (0 without online revocation).
  std::size_t refresh_crls();
  RevocationCounts revocation_counts() const;

  const Policy& policy() const noexcept { return policy_; }
  const Limits& limits() const noexcept { return limits_; }

 private:
  // Signs the entity; both fill in `result`. Detached: the multipart/signed parts around the
  // entity (which is not copied); opaque: the entity becomes the signed-data entity and the
  // frame is empty.
  mime::SignedFrame sign_entity(std::string& entity, const service::Selection& signer,
                                const OutgoingRequest& request, const TrustSnapshot& trust,
                                OutgoingResult& result);
  // The whole encrypted message (outer headers and the pkcs7-mime entity of frame.head +
  // entity + frame.tail), streamed: the entity is taken over and released as it is encrypted.
  std::string encrypt_entity(std::string_view outer_headers, const mime::SignedFrame& frame,
                             std::string entity, const std::vector<service::Selection>& recipients,
                             const OutgoingRequest& request, const TrustSnapshot& trust,
                             OutgoingResult& result);

  ForcedAlgorithms forced_algorithms(const OutgoingRequest& request) const;

  store::Store& store_;
  service::CertificateService& certificates_;
  service::CertificateService::KeyStoreAccess keys_;
  Policy policy_;
  Limits limits_;
  std::unique_ptr<EngineState> caches_;
};

}  // namespace smime::engine
