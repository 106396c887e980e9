#include "smime/app/certificates.hpp"

#include "audited.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "smime/service/json_views.hpp"

namespace smime::app {
namespace {

std::string import_summary(const service::ImportReport& report) {
  std::string detail = std::to_string(report.imported.size()) + " imported, " +
                       std::to_string(report.failed()) + " not imported";
  if (!report.present.empty()) {
    detail += ", " + std::to_string(report.present.size()) + " already present";
  }
  for (const auto& p : report.present) {
    if (p.key_imported) detail += "; " + p.item + " already present, its key imported";
  }
  for (const auto& i : report.imported) {
    if (!i.record.legacy_rules.empty()) {
      detail += "; " + i.item + " " + service::relaxed_rules_text(i.record.legacy_rules);
    }
  }
  // Each distinct failure once with its count: the entry stays small however large the input.
  for (const auto& e : report.errors) {
    detail += "; " + e.item + (e.count > 1 ? " and " + std::to_string(e.count - 1) + " more" : "") +
              ": " + e.message;
  }
  if (report.errors_omitted > 0) {
    detail += "; " + std::to_string(report.errors_omitted) + " more failures";
  }
  return detail;
}

}  // namespace

service::ImportReport CertificateUseCases::import_certificates(const Caller& caller,
                                                               const CertificateImport& request) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::certificate_import);
  if (!request.source.empty()) event.detail = request.source;
  service::ImportReport report;
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
    report = deps_.certificates.import_certificates(request.input, request.passphrase,
                                                    request.keys_exportable, request.trust);
    for (const auto& imported : report.imported) {
      event.fingerprints.push_back(imported.record.sha256);
      event.addresses.insert(event.addresses.end(), imported.record.emails.begin(),
                             imported.record.emails.end());
    }
    for (const auto& present : report.present) {
      if (!present.key_imported) continue;  // a certificate that only got its key now
      event.fingerprints.push_back(present.record.sha256);
      event.addresses.insert(event.addresses.end(), present.record.emails.begin(),
                             present.record.emails.end());
    }
    event.detail = (request.source.empty() ? "" : request.source + ": ") + import_summary(report);
    if (!report.succeeded()) event.status = audit::Status::failed;
  });
  return report;
}

std::vector<CertificateListing> CertificateUseCases::list(const store::CertificateQuery& query) {
  std::vector<CertificateListing> listings;
  for (auto& record : deps_.store.find_certificates(query)) {
    const auto status = deps_.certificates.status(record);
    listings.push_back({std::move(record), status});
  }
  return listings;
}

CertificateDetails CertificateUseCases::show(std::string_view fingerprint) {
  CertificateDetails details;
  details.record = deps_.certificates.get(fingerprint);
  details.status = deps_.certificates.status(details.record);
  const certs::ChainResult chain = deps_.certificates.chain_for(details.record);
  details.chain_trusted = chain.trusted;
  details.chain_error = chain.error;
  return details;
}

store::CertificateRecord CertificateUseCases::set_trust(const Caller& caller,
                                                        std::string_view fingerprint,
                                                        bool trusted) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::certificate_trust);
  event.detail = "certificate " + std::string(fingerprint) +
                 (trusted ? " made a trust anchor" : " no longer a trust anchor");
  store::CertificateRecord record;
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
    record = deps_.certificates.set_trust(fingerprint, trusted);
    event.fingerprints = {record.sha256};
    event.addresses = record.emails;
    event.detail =
        (trusted ? "made a trust anchor: " : "no longer a trust anchor: ") + record.subject;
  });
  return record;
}

CertificateFile CertificateUseCases::download(std::string_view fingerprint, bool der) {
  const store::CertificateRecord record = deps_.certificates.get(fingerprint);
  return {record.sha256, deps_.certificates.export_certificate(record.sha256, der)};
}

DeletedCertificate CertificateUseCases::remove(const Caller& caller, std::string_view fingerprint,
                                               bool with_key) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::certificate_delete);
  event.detail = "certificate " + std::string(fingerprint) + (with_key ? " with its key" : "");
  DeletedCertificate deleted;
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry& write_entry) {
    deleted.record = deps_.certificates.get(fingerprint);
    deleted.key_deleted = with_key && deps_.certificates.key_deleted_with(deleted.record);
    event.fingerprints = {deleted.record.sha256};
    event.addresses = deleted.record.emails;
    event.detail = deleted.key_deleted ? "certificate and its key deleted" : "certificate deleted";
    // The entry is written before the key leaves the token, the last step of the change.
    deps_.certificates.delete_certificate(deleted.record.sha256, with_key, write_entry);
  });
  return deleted;
}

}  // namespace smime::app
