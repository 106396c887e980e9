// Certificate and key administration on top of the store and the token (SPEC §6): bundle
// import with per-certificate results, private keys matched to their certificate and written
// into the token, downloads, deletion, CRLs, and the selections the S/MIME engine needs.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "smime/certs/certificate_info.hpp"
#include "smime/certs/chain.hpp"
#include "smime/certs/import_limits.hpp"
#include "smime/common/secure_buffer.hpp"
#include "smime/store/store.hpp"
#include "smime/token/key_store.hpp"

namespace smime::service {

class SelectionCache;  // src/service/selection_cache.hpp

struct ImportedCertificate {
  store::CertificateRecord record;  // record.legacy_rules: the rules the legacy policy relaxed
  bool key_imported = false;        // a PKCS#12 key went into the token for this certificate
  std::string item;                 // "certificate 2": its place in the input, as for failures
};

struct ImportFailure {
  std::string item;     // "certificate 3", "PEM block 2", "private key": the first of `count`
  std::string subject;  // when the certificate could be read (the first one's)
  std::string fingerprint;
  std::string kind;  // "duplicate", "rule", "invalid", "key"
  std::string rule;  // rule id for kind == "rule"
  std::string message;
  std::size_t count = 1;  // items that failed with this kind, rule and message
};

struct ImportReport {
  std::vector<ImportedCertificate> imported;
  // Certificates of a PKCS#12 file that the store already held (its CA, or the leaf imported
  // before without its key): neither stored again nor a failure (issue 17 item 2).
  std::vector<ImportedCertificate> present;
  // At most ImportLimits::reported_failures entries, equal failures summarised with a count.
  std::vector<ImportFailure> errors;
  std::size_t errors_omitted = 0;  // failures beyond those entries, only counted
  std::size_t failed() const;      // every failure, listed or omitted
  bool pkcs12_key = false;         // the input was a PKCS#12 file with a key: the key decides
  // What decides the import's outcome (audit status, HTTP status): for a PKCS#12 file, its key
  // went into the token (for a certificate imported or present) and no key failure; otherwise
  // at least one certificate stored.
  bool succeeded() const;
};

struct KeyImportRequest {
  std::span<const unsigned char> key_file;  // PEM/DER PKCS#1, PKCS#8, SEC1, encrypted PKCS#8
  const SecretString* passphrase = nullptr;
  std::string fingerprint;  // when given, the key must belong to this certificate
  bool exportable = false;
  std::string label;  // token label; default derived from the certificate
};

enum class CertificateStatus { valid, expired, not_yet_valid, revoked };
const char* to_string(CertificateStatus status);

struct Selection {
  std::string address;
  std::optional<store::CertificateRecord> certificate;
  std::string reason;  // why this certificate, or why none
};

class CertificateService {
 public:
  using Clock = std::function<std::time_t()>;
  // The key store is reached only by operations that touch keys, so certificate
  // administration keeps working while the token is unavailable.
  using KeyStoreAccess = std::function<KeyStore&()>;
  CertificateService(store::Store& store, KeyStoreAccess keys, Clock clock = nullptr);
  CertificateService(store::Store& store, KeyStore& keys, Clock clock = nullptr);

  // Every certificate is judged on its own; valid ones are stored. Throws only when the input
  // holds no certificate at all (invalid_input) or a PKCS#12 passphrase is wrong. trust: every
  // stored certificate becomes a trust anchor (true) or none does (false); unset: the rule of
  // certs::default_anchors.
  ImportReport import_certificates(std::span<const unsigned char> input,
                                   const SecretString* passphrase = nullptr,
                                   bool keys_exportable = false,
                                   std::optional<bool> trust = std::nullopt);

  // Makes a stored certificate a trust anchor or takes that away; returns it as it is now.
  // Error(not_found) when there is none.
  store::CertificateRecord set_trust(std::string_view fingerprint, bool trusted);

  // One key per import, matched to stored certificates by public key. Returns the
  // certificate(s) that now have their key in the token.
  std::vector<store::CertificateRecord> import_private_key(const KeyImportRequest& request);

  // Encrypted PKCS#8 (AES-256) PEM; only for keys imported as exportable.
  std::string export_private_key(std::string_view fingerprint, const SecretString& passphrase);
  std::vector<unsigned char> export_certificate(std::string_view fingerprint, bool der);

  // Removes the certificate and, with_key, its key objects from the token (unless another
  // stored certificate still uses that key). All or nothing: the key's removal is the last
  // step of the store transaction; before_token runs inside it just before that step (the
  // audit entry of the deletion is written there).
  store::CertificateRecord delete_certificate(std::string_view fingerprint, bool with_key,
                                              const std::function<void()>& before_token = {});
  // Whether deleting the certificate with its key would remove the key from the token: it has
  // one, and no other stored certificate uses it.
  bool key_deleted_with(const store::CertificateRecord& record);

  store::CertificateRecord get(std::string_view fingerprint);  // Error(not_found) if absent
  CertificateStatus status(const store::CertificateRecord& record);

  // Newest valid certificate with a token key and signing usage for the address.
  Selection signing_certificate(std::string_view address);
  // For each address the newest valid certificate with encryption usage.
  std::vector<Selection> encryption_certificates(const std::vector<std::string>& addresses);
  Selection encryption_certificate(std::string_view address);

  // Chain to a trust anchor (a stored certificate marked trusted); every other stored
  // certificate serves as path-building material.
  certs::ChainResult chain_for(const store::CertificateRecord& record);

  // A CRL is accepted only when a stored certificate signed it and that certificate chains to
  // a trust anchor (or is one).
  store::CrlRecord import_crl(std::span<const unsigned char> input);
  // A CRL fetched for a chain the engine validated whose issuer is not stored (an intermediate
  // the message carried). `carried`: the certificates above the one checked on that chain,
  // issuer first. Accepted when one of them has the CRL's issuer name, signed it, is a CA that
  // may sign CRLs, and itself validates to a trust anchor with the stored certificates and
  // `carried` as path material (checked here again, not taken from the caller); the CRL must
  // be current (thisUpdate not ahead, nextUpdate not passed). Stored as any CRL (replacing an
  // older one of the same issuer name: Error(conflict) when the store holds it or a newer one),
  // keyed by that issuer's fingerprint; the issuer itself is not stored.
  store::CrlRecord import_crl_of_carried_issuer(std::span<const unsigned char> input,
                                                const std::vector<const X509*>& carried);

  std::time_t now() const { return clock_(); }
  const certs::ImportLimits& import_limits() const noexcept { return import_limits_; }
  // The legacy-certificate policy for imports (off unless the configuration turns it on).
  void set_rule_policy(const certs::RulePolicy& policy) { rule_policy_ = policy; }
  const certs::RulePolicy& rule_policy() const noexcept { return rule_policy_; }

 private:
  // Records the token key whose public key is the certificate's, if the token has one.
  void link_existing_key(X509* cert, store::CertificateRecord& record);
  // Puts a PKCS#12 file's key into the token and marks the report's entries it belongs to.
  void import_pkcs12_key(const EVP_PKEY* key, bool exportable, ImportReport& report);
  std::vector<store::CertificateRecord> import_private_key_object(const EVP_PKEY* key,
                                                                  const KeyImportRequest& request);
  // A selection from the cache, else computed by `select` and remembered (selection_cache.hpp).
  using SelectFunction = Selection (CertificateService::*)(const std::string&, std::time_t&);
  Selection remembered(std::string_view kind, std::string_view address, SelectFunction select);
  Selection select_signing(const std::string& address, std::time_t& valid_until);
  Selection select_encryption(const std::string& address, std::time_t& valid_until);

  store::Store& store_;
  KeyStore& keys() { return keys_(); }
  KeyStoreAccess keys_;
  Clock clock_;
  certs::ImportLimits import_limits_;
  certs::RulePolicy rule_policy_;
  std::shared_ptr<SelectionCache> selections_;
};

}  // namespace smime::service
