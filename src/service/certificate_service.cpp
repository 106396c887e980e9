#include "smime/service/certificate_service.hpp"

#include <openssl/pem.h>
#include <spdlog/spdlog.h>

#include <unordered_map>

#include "selection_cache.hpp"
#include "smime/certs/certificate_info.hpp"
#include "smime/certs/certificate_input.hpp"
#include "smime/certs/crl.hpp"
#include "smime/common/error.hpp"
#include "smime/common/pem.hpp"
#include "smime/common/private_key_decoder.hpp"
#include "smime/service/records.hpp"

namespace smime::service {
namespace {

EvpPkeyPtr public_key_of(const store::CertificateRecord& record) {
  X509Ptr cert = certs::parse_der_certificate(record.der);
  return EvpPkeyPtr(X509_get_pubkey(cert.get()));
}

std::string label_for(const store::CertificateRecord& record) {
  return record.emails.empty() ? record.sha256.substr(0, 16) : record.emails.front();
}

// Collects an import's failures: equal ones (kind, rule, message) become one entry with a
// count, and entries beyond the limit are only counted, so the answer and the audit entry of
// a bundle with 100,000 broken items stay small.
class FailureList {
 public:
  FailureList(ImportReport& report, std::size_t max_entries)
      : report_(report), max_entries_(max_entries) {}
  void add(ImportFailure failure) {
    const std::string key = failure.kind + '\n' + failure.rule + '\n' + failure.message;
    if (auto it = index_.find(key); it != index_.end()) {
      report_.errors[it->second].count += failure.count;
    } else if (report_.errors.size() < max_entries_) {
      index_.emplace(key, report_.errors.size());
      report_.errors.push_back(std::move(failure));
    } else {
      report_.errors_omitted += failure.count;
    }
  }

 private:
  ImportReport& report_;
  std::size_t max_entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace

bool ImportReport::succeeded() const {
  if (!pkcs12_key) return !imported.empty();
  for (const auto* list : {&imported, &present}) {
    for (const auto& entry : *list) {
      if (entry.key_imported) return true;
    }
  }
  return false;
}

std::size_t ImportReport::failed() const {
  std::size_t total = errors_omitted;
  for (const ImportFailure& failure : errors) total += failure.count;
  return total;
}

const char* to_string(CertificateStatus status) {
  switch (status) {
    case CertificateStatus::valid:
      return "valid";
    case CertificateStatus::expired:
      return "expired";
    case CertificateStatus::not_yet_valid:
      return "not_yet_valid";
    case CertificateStatus::revoked:
      return "revoked";
  }
  return "valid";
}

CertificateService::CertificateService(store::Store& store, KeyStoreAccess keys, Clock clock)
    : store_(store),
      keys_(std::move(keys)),
      clock_(clock ? std::move(clock) : [] { return std::time(nullptr); }),
      selections_(std::make_shared<SelectionCache>()) {}

CertificateService::CertificateService(store::Store& store, KeyStore& keys, Clock clock)
    : CertificateService(
          store, [&keys]() -> KeyStore& { return keys; }, std::move(clock)) {}

store::CertificateRecord CertificateService::get(std::string_view fingerprint) {
  auto record = store_.certificate(fingerprint);
  if (!record) {
    throw Error(ErrorCode::not_found,
                "No certificate with fingerprint " + std::string(fingerprint));
  }
  return *record;
}

ImportReport CertificateService::import_certificates(std::span<const unsigned char> input,
                                                     const SecretString* passphrase,
                                                     bool keys_exportable,
                                                     std::optional<bool> trust) {
  certs::CertificateInput parsed = certs::read_certificate_input(input, passphrase);
  const std::vector<bool> anchors = certs::default_anchors(parsed.certificates);
  ImportReport report;
  FailureList failures(report, import_limits_.reported_failures);
  for (const auto& problem : parsed.problems) {
    failures.add({problem.item, "", "", "invalid", "", problem.message, problem.count});
  }
  // A PKCS#12 file brings its CA along: one already stored is present, not a failure.
  const bool from_pkcs12 = parsed.private_key != nullptr;
  report.pkcs12_key = from_pkcs12;
  std::size_t index = 0;
  for (const X509Ptr& cert : parsed.certificates) {
    ++index;
    const std::string item = "certificate " + std::to_string(index);
    const certs::RuleCheck check =
        certs::judge_certificate(cert.get(), import_limits_, rule_policy_);
    certs::CertificateDescription description = certs::describe_certificate(cert.get());
    certs::apply_relaxed_rules(cert.get(), check.relaxed, description);
    store::CertificateRecord record = to_record(description);
    record.legacy_rules = check.relaxed;
    record.trusted = trust.value_or(anchors[index - 1]);
    if (check.violation) {
      failures.add({item, record.subject, record.sha256, "rule", check.violation->rule,
                    check.violation->message});
      continue;
    }
    try {
      store::CertificateRecord inserted = store_.insert_certificate(record);
      try {
        link_existing_key(cert.get(), inserted);
      } catch (const Error& e) {
        // Importing a certificate needs no token; the key can still be linked later.
        spdlog::warn("Certificate {} imported without looking for its key in the token: {}",
                     inserted.sha256, e.what());
      }
      report.imported.push_back({std::move(inserted), false, item});
    } catch (const Error& e) {
      if (e.code() != ErrorCode::conflict) throw;
      std::optional<store::CertificateRecord> stored;
      if (from_pkcs12) stored = store_.certificate(record.sha256);
      if (stored) {
        report.present.push_back({std::move(*stored), false, item});
      } else {
        failures.add({item, record.subject, record.sha256, "duplicate", "", e.what()});
      }
    }
  }
  if (parsed.private_key) {
    try {
      import_pkcs12_key(parsed.private_key.get(), keys_exportable, report);
    } catch (const Error& e) {
      failures.add({"private key", "", "", "key", "", e.what()});
    }
  }
  return report;
}

store::CertificateRecord CertificateService::set_trust(std::string_view fingerprint, bool trusted) {
  store::CertificateRecord record = get(fingerprint);
  if (!store_.set_certificate_trust(record.sha256, trusted)) {
    throw Error(ErrorCode::not_found, "No certificate with fingerprint " + record.sha256);
  }
  record.trusted = trusted;
  return record;
}

void CertificateService::import_pkcs12_key(const EVP_PKEY* key, bool exportable,
                                           ImportReport& report) {
  // The PKCS#12 key goes into the token for the certificate(s) it belongs to.
  KeyImportRequest request;
  request.exportable = exportable;
  auto owners = import_private_key_object(key, request);
  for (auto* list : {&report.imported, &report.present}) {
    for (auto& entry : *list) {
      for (const auto& owner : owners) {
        if (owner.sha256 == entry.record.sha256) {
          entry.record = owner;
          entry.key_imported = true;
        }
      }
    }
  }
}

void CertificateService::link_existing_key(X509* cert, store::CertificateRecord& record) {
  // A key made in the token (key generate --csr) waits there under CKA_ID = SHA-1 of its
  // public key; importing the issued certificate installs it for that key.
  const EVP_PKEY* pub = X509_get0_pubkey(cert);
  if (pub == nullptr) return;
  const std::string key_id = to_hex(key_id_for(pub));
  const std::optional<KeyInfo> key = keys().find(key_id);
  if (!key || !key->has_private) return;
  EvpPkeyPtr token_pub = keys().public_key(key_id);
  if (!token_pub || EVP_PKEY_eq(token_pub.get(), pub) != 1) return;
  const bool exportable = key->extractable;
  store_.set_certificate_key(record.sha256, key_id, exportable);
  record.token_key_id = key_id;
  record.key_exportable = exportable;
}

std::vector<store::CertificateRecord> CertificateService::import_private_key(
    const KeyImportRequest& request) {
  EvpPkeyPtr key = decode_private_key(request.key_file, request.passphrase);
  return import_private_key_object(key.get(), request);
}

std::vector<store::CertificateRecord> CertificateService::import_private_key_object(
    const EVP_PKEY* key, const KeyImportRequest& request) {
  std::vector<store::CertificateRecord> owners;
  if (!request.fingerprint.empty()) {
    store::CertificateRecord named = get(request.fingerprint);
    EvpPkeyPtr pub = public_key_of(named);
    if (EVP_PKEY_eq(pub.get(), key) != 1) {
      throw Error(ErrorCode::invalid_input,
                  "The private key does not belong to certificate " + named.sha256);
    }
  }
  for (const auto& record : store_.find_certificates({})) {
    EvpPkeyPtr pub = public_key_of(record);
    if (pub && EVP_PKEY_eq(pub.get(), key) == 1) owners.push_back(record);
  }
  if (owners.empty()) {
    throw Error(ErrorCode::not_found, "The certificate for this private key could not be found");
  }
  const std::string key_id = to_hex(key_id_for(key));
  bool all_recorded = true;
  for (const auto& owner : owners) all_recorded = all_recorded && owner.token_key_id == key_id;
  const std::optional<KeyInfo> existing = keys().find(key_id);
  const bool in_token = existing.has_value();
  // Linking to a key already in the token keeps the token's own exportability.
  const bool exportable = in_token ? existing->extractable : request.exportable;
  if (all_recorded && in_token) {
    throw Error(ErrorCode::conflict, "This private key is already imported");
  }
  // The rows and the token change together: a token failure rolls the rows back.
  store_.in_transaction([&] {
    for (auto& owner : owners) {
      store_.set_certificate_key(owner.sha256, key_id, exportable);
      owner.token_key_id = key_id;
      owner.key_exportable = exportable;
    }
    // A key already in the token (e.g. for a renewed certificate) is only linked.
    if (!in_token) {
      keys().import_private_key(
          key,
          {request.label.empty() ? label_for(owners.front()) : request.label, request.exportable});
    }
  });
  return owners;
}

std::string CertificateService::export_private_key(std::string_view fingerprint,
                                                   const SecretString& passphrase) {
  store::CertificateRecord record = get(fingerprint);
  if (!record.token_key_id) {
    throw Error(ErrorCode::not_found, "Certificate " + record.sha256 + " has no private key");
  }
  if (!record.key_exportable) {
    throw Error(ErrorCode::forbidden,
                "The private key of this certificate is held in the token and cannot be "
                "exported (it was not imported as exportable)");
  }
  EvpPkeyPtr key = keys().export_private_key(*record.token_key_id);
  return encode_encrypted_pkcs8(key.get(), passphrase);
}

std::vector<unsigned char> CertificateService::export_certificate(std::string_view fingerprint,
                                                                  bool der) {
  store::CertificateRecord record = get(fingerprint);
  if (der) return record.der;
  X509Ptr cert = certs::parse_der_certificate(record.der);
  const std::string pem = certificate_pem(cert.get());
  return {pem.begin(), pem.end()};
}

bool CertificateService::key_deleted_with(const store::CertificateRecord& record) {
  if (!record.token_key_id) return false;
  store::CertificateQuery others;
  others.has_key = true;
  for (const auto& other : store_.find_certificates(others)) {
    if (other.sha256 != record.sha256 && other.token_key_id == record.token_key_id) return false;
  }
  return true;
}

store::CertificateRecord CertificateService::delete_certificate(
    std::string_view fingerprint, bool with_key, const std::function<void()>& before_token) {
  store::CertificateRecord record = get(fingerprint);
  store_.in_transaction([&] {
    const bool key_goes = with_key && key_deleted_with(record);
    store_.delete_certificate(record.sha256);
    if (before_token) before_token();
    if (!key_goes) return;
    // Last step inside the transaction: if the token refuses, the row comes back.
    if (keys().find(*record.token_key_id)) keys().remove(*record.token_key_id);
  });
  return record;
}

namespace {

store::CrlRecord store_crl(store::Store& store, const certs::ParsedCrl& parsed,
                           const std::string& issuer_sha256) {
  return store.insert_crl(to_record(parsed.description, issuer_sha256), to_records(parsed.revoked));
}

}  // namespace

store::CrlRecord CertificateService::import_crl(std::span<const unsigned char> input) {
  certs::ParsedCrl parsed = certs::parse_crl(input);
  store::CertificateQuery issuers;
  issuers.subject = parsed.description.issuer;
  bool issuer_known = false;
  bool signed_by_stored = false;
  std::string chain_error;
  for (const auto& candidate : store_.find_certificates(issuers)) {
    issuer_known = true;
    X509Ptr cert = certs::parse_der_certificate(candidate.der);
    if (!certs::crl_signed_by(parsed.crl.get(), cert.get())) continue;
    signed_by_stored = true;
    // The issuer is an anchor, or an intermediate that validates to one.
    if (candidate.trusted) return store_crl(store_, parsed, candidate.sha256);
    const certs::ChainResult chain = chain_for(candidate);
    if (chain.trusted) return store_crl(store_, parsed, candidate.sha256);
    chain_error = chain.error;
  }
  if (signed_by_stored) {
    throw Error(ErrorCode::invalid_input, "The issuer of this CRL (" + parsed.description.issuer +
                                              ") does not chain to a trust anchor: " + chain_error);
  }
  if (issuer_known) {
    throw Error(ErrorCode::invalid_input,
                "The CRL's signature does not verify with the stored "
                "certificate of its issuer " +
                    parsed.description.issuer);
  }
  throw Error(ErrorCode::not_found, "The issuer of this CRL (" + parsed.description.issuer +
                                        ") is not a stored certificate; import it first");
}

}  // namespace smime::service
