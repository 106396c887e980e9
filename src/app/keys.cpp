#include "smime/app/keys.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "audited.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "smime/common/pem.hpp"
#include "smime/provisioning/certificate_builder.hpp"

namespace smime::app {
namespace {

constexpr std::size_t kMinIdPrefix = 8;

void check_generation(const KeyGeneration& request) {
  if ((request.csr || request.self_signed) && request.emails.empty()) {
    throw Error(ErrorCode::invalid_input,
                "A CSR or self-signed certificate needs at least one email address");
  }
  if (request.days < 1 || request.days > 3650) {
    throw Error(ErrorCode::invalid_input, "The validity must be between 1 and 3650 days");
  }
  if (request.label.empty()) throw Error(ErrorCode::invalid_input, "A key needs a label");
  // A bad subject is refused before the key exists.
  if (request.csr || request.self_signed) {
    provisioning::subject_name_for({request.subject, request.emails});
  }
}

// The CSR and the certificate, signed in the token; nothing is stored yet.
void sign_requests(KeyStore& keys, const KeyGeneration& request, GeneratedKey& generated,
                   std::vector<unsigned char>& certificate_der) {
  if (!request.csr && !request.self_signed) return;
  const provisioning::SmimeIdentity identity{request.subject, request.emails};
  EvpPkeyPtr public_key = keys.public_key(generated.key.id);
  EvpPkeyPtr private_key = keys.private_key(generated.key.id);
  if (request.csr) {
    auto csr = provisioning::build_csr(identity, public_key.get(), private_key.get());
    generated.csr_pem = provisioning::to_pem(csr.get());
  }
  if (request.self_signed) {
    auto cert = provisioning::build_self_signed(identity, public_key.get(), private_key.get(),
                                                request.days);
    generated.certificate_pem = certificate_pem(cert.get());
    certificate_der = provisioning::to_der(cert.get());
  }
}

}  // namespace

std::vector<KeyInfo> KeyUseCases::list() {
  return deps_.keys().list();
}

GeneratedKey KeyUseCases::generate(const Caller& caller, const KeyGeneration& request) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::key_generate);
  event.addresses = request.emails;
  event.detail = std::string(to_string(request.algorithm)) + " key '" + request.label + "'";
  GeneratedKey generated;
  try {
    check_generation(request);
    KeyStore& keys = deps_.keys();
    // Generated (and its requests signed) before the audit transaction: that can take long,
    // and the transaction holds the database's write lock.
    generated.key = keys.generate(request.algorithm, request.label);
    event.detail += ", id " + generated.key.id;
    try {
      std::vector<unsigned char> der;
      sign_requests(keys, request, generated, der);
      if (!der.empty()) keys.store_certificate(generated.key.id, request.label, der);
      detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
        if (der.empty()) return;
        auto report = deps_.certificates.import_certificates(der);
        if (report.imported.size() != 1) {
          throw Error(
              ErrorCode::internal,
              "The self-signed certificate could not be stored: " +
                  (report.errors.empty() ? std::string("?") : report.errors.front().message));
        }
        generated.certificate = report.imported.front().record;
        if (generated.certificate->token_key_id != generated.key.id) {
          deps_.store.set_certificate_key(generated.certificate->sha256, generated.key.id, false);
          generated.certificate->token_key_id = generated.key.id;
        }
        event.fingerprints = {generated.certificate->sha256};
      });
    } catch (...) {
      // All or nothing: the token is left as it was.
      keys.remove(generated.key.id);
      throw;
    }
  } catch (const std::exception& e) {
    // audited_change records its own failures (the entry's status is failed then).
    if (event.status == audit::Status::ok) detail::record_failure(deps_.audit, event, e.what());
    throw;
  }
  return generated;
}

std::string KeyUseCases::full_key_id(std::string_view id) {
  std::vector<std::string> matches;
  for (const KeyInfo& key : deps_.keys().list()) {
    if (key.id == id) return key.id;
    if (id.size() >= kMinIdPrefix && key.id.rfind(id, 0) == 0) matches.push_back(key.id);
  }
  if (matches.size() > 1) {
    throw Error(ErrorCode::conflict, "The key id prefix " + std::string(id) + " is ambiguous");
  }
  if (matches.empty()) {
    throw Error(ErrorCode::not_found, "No key with id " + std::string(id) + " in the token");
  }
  return matches.front();
}

std::string KeyUseCases::remove(const Caller& caller, std::string_view id) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::key_delete);
  event.detail = "key " + std::string(id);
  std::string full;
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry& write_entry) {
    full = full_key_id(id);
    event.detail = "key " + full;
    for (const auto& [reserved, purpose] : deps_.store.reserved_keys()) {
      if (reserved == full) {
        std::string message = "The key " + full;
        message += " is " + purpose + "; replace it (and its certificate) first";
        throw Error(ErrorCode::conflict, message);
      }
    }
    store::CertificateQuery with_keys;
    with_keys.has_key = true;
    for (const auto& record : deps_.store.find_certificates(with_keys)) {
      if (record.token_key_id == full) {
        event.fingerprints = {record.sha256};
        throw Error(ErrorCode::conflict, "The key belongs to certificate " + record.sha256 +
                                             "; delete the certificate with its key instead");
      }
    }
    write_entry();  // before the key leaves the token
    deps_.keys().remove(full);
  });
  return full;
}

ImportedKey KeyUseCases::import_key(const Caller& caller, const KeyImport& request) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::key_import);
  event.detail = request.source.empty() ? "private key" : "key file " + request.source;
  if (!request.fingerprint.empty()) event.fingerprints = {request.fingerprint};
  ImportedKey imported;
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
    if (request.key_file.empty()) {
      throw Error(ErrorCode::invalid_input, "The private key is missing");
    }
    service::KeyImportRequest service_request;
    service_request.key_file = request.key_file;
    service_request.passphrase = request.passphrase;
    service_request.fingerprint = request.fingerprint;
    service_request.exportable = request.exportable;
    service_request.label = request.label;
    imported.certificates = deps_.certificates.import_private_key(service_request);
    imported.token_key_id = imported.certificates.front().token_key_id.value_or("");
    imported.exportable = imported.certificates.front().key_exportable;
    event.fingerprints.clear();
    for (const auto& owner : imported.certificates) {
      event.fingerprints.push_back(owner.sha256);
      event.addresses.insert(event.addresses.end(), owner.emails.begin(), owner.emails.end());
    }
    event.detail =
        imported.exportable ? "key imported, exportable" : "key imported, not extractable";
  });
  return imported;
}

ExportedKey KeyUseCases::export_key(const Caller& caller, std::string_view fingerprint,
                                    const SecretString& passphrase) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::key_export);
  event.detail = "certificate " + std::string(fingerprint);
  ExportedKey exported;
  // The key leaves only once its export is on record (the entry commits with the export).
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry& write_entry) {
    if (passphrase.empty()) {
      throw Error(ErrorCode::invalid_input,
                  "A passphrase to encrypt the exported key with is required");
    }
    const store::CertificateRecord record = deps_.certificates.get(fingerprint);
    exported.fingerprint = record.sha256;
    event.fingerprints = {record.sha256};
    event.addresses = record.emails;
    event.detail = "private key exported (encrypted PKCS#8)";
    std::string pem = deps_.certificates.export_private_key(record.sha256, passphrase);
    exported.pem = SecretString(pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    write_entry();
  });
  return exported;
}

}  // namespace smime::app
