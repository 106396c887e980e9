// /api/v1/certificates: import, list/search, show, download, delete, private key import and
// export — all through smime::service::CertificateService.
#include <openssl/crypto.h>

#include "json_views.hpp"
#include "routes.hpp"

namespace smime::server::routes {
namespace {

// The status of an import that stored nothing: the most telling failure decides.
Response failed_import(const service::ImportReport& report) {
  auto has = [&](std::string_view kind) {
    for (const auto& e : report.errors) {
      if (e.kind == kind) return &e;
    }
    return static_cast<const service::ImportFailure*>(nullptr);
  };
  const auto details = views::import_failures(report.errors);
  if (const auto* rule = has("rule")) {
    return error_response(422, "rule_failed", rule->message, details);
  }
  if (const auto* invalid = has("invalid")) {
    return error_response(400, "invalid_certificate", invalid->message, details);
  }
  if (const auto* duplicate = has("duplicate")) {
    return error_response(409, "duplicate", duplicate->message, details);
  }
  if (const auto* key = has("key")) {
    return error_response(422, "key_failed", key->message, details);
  }
  return error_response(400, "invalid_certificate", "The input holds no certificate", details);
}

Response import_certificates(const Services& s, const Call& call) {
  return audited(s, call, "certificate.import", [&](audit::AuditEvent& event) {
    auto passphrase = passphrase_of(call);
    const bool exportable = call.query_flag("exportable").value_or(false);
    service::ImportReport report = s.certificates->import_certificates(
        body_bytes(call), passphrase ? &*passphrase : nullptr, exportable);
    for (const auto& i : report.imported) {
      event.fingerprints.push_back(i.record.sha256);
      event.addresses.insert(event.addresses.end(), i.record.emails.begin(), i.record.emails.end());
    }
    event.detail = std::to_string(report.imported.size()) + " imported, " +
                   std::to_string(report.failed()) + " failed";
    for (const auto& e : report.errors) {
      event.detail += "; " + e.item +
                      (e.count > 1 ? " and " + std::to_string(e.count - 1) + " more" : "") + ": " +
                      e.message;
    }
    if (report.imported.empty()) return failed_import(report);
    return json_response(201, views::import_report(report));
  });
}

Response list_certificates(const Services& s, const Call& call) {
  store::CertificateQuery query;
  query.email = call.query("email");
  query.subject_contains = call.query("search");
  query.fingerprint_prefix = call.query("fingerprint");
  query.has_key = call.query_flag("has_key");
  query.is_ca = call.query_flag("ca");
  if (const std::string limit = call.query("limit"); !limit.empty()) {
    try {
      query.limit = std::stoi(limit);
    } catch (const std::exception&) {
      throw Error(ErrorCode::invalid_input, "'limit' must be a number");
    }
    if (query.limit < 0) throw Error(ErrorCode::invalid_input, "'limit' must not be negative");
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& record : s.store->find_certificates(query)) {
    list.push_back(views::certificate(record, s.certificates->status(record)));
  }
  return json_response(200, {{"certificates", list}});
}

Response show_certificate(const Services& s, const Call& call) {
  const auto record = s.certificates->get(call.param("fingerprint"));
  nlohmann::json result = views::certificate(record, s.certificates->status(record));
  const auto chain = s.certificates->chain_for(record);
  result["chain_trusted"] = chain.trusted;
  if (!chain.trusted) result["chain_error"] = chain.error;
  return json_response(200, result);
}

Response download_certificate(const Services& s, const Call& call) {
  const std::string format = call.query("format", "pem");
  if (format != "pem" && format != "der") {
    throw Error(ErrorCode::invalid_input, "'format' must be pem or der");
  }
  const auto record = s.certificates->get(call.param("fingerprint"));
  const auto bytes = s.certificates->export_certificate(record.sha256, format == "der");
  return download(std::string(bytes.begin(), bytes.end()),
                  format == "der" ? "application/pkix-cert" : "application/x-pem-file",
                  record.sha256.substr(0, 16) + (format == "der" ? ".cer" : ".pem"));
}

Response delete_certificate(const Services& s, const Call& call) {
  return audited(s, call, "certificate.delete", [&](audit::AuditEvent& event) {
    const bool with_key = call.query_flag("with_key").value_or(false);
    const auto record = s.certificates->delete_certificate(call.param("fingerprint"), with_key);
    event.fingerprints.push_back(record.sha256);
    event.addresses = record.emails;
    event.detail = with_key && record.token_key_id ? "with its key" : "";
    return no_content();
  });
}

Response import_private_key(const Services& s, const Call& call) {
  return audited(s, call, "key.import", [&](audit::AuditEvent& event) {
    SecureBytes key_file;
    std::optional<bool> exportable = call.query_flag("exportable");
    std::string label;
    if (call.json.is_object()) {
      std::string pem = json_string(call, "key");
      key_file.assign(pem.begin(), pem.end());
      OPENSSL_cleanse(pem.data(), pem.size());
      if (auto flag = json_optional_bool(call, "exportable")) exportable = flag;
      label = json_optional_string(call, "label").value_or("");
    } else {
      key_file.assign(call.request.body.begin(), call.request.body.end());
    }
    if (key_file.empty()) throw Error(ErrorCode::invalid_input, "The private key is missing");
    auto passphrase = passphrase_of(call);
    service::KeyImportRequest request;
    request.key_file = key_file;
    request.passphrase = passphrase ? &*passphrase : nullptr;
    request.fingerprint = call.param("fingerprint");
    request.exportable = exportable.value_or(false);
    request.label = label;
    const auto owners = s.certificates->import_private_key(request);
    nlohmann::json certificates = nlohmann::json::array();
    for (const auto& o : owners) {
      certificates.push_back(o.sha256);
      event.fingerprints.push_back(o.sha256);
    }
    event.detail = owners.front().key_exportable ? "exportable" : "not extractable";
    return json_response(201, {{"certificates", certificates},
                               {"token_key_id", owners.front().token_key_id.value_or("")},
                               {"exportable", owners.front().key_exportable}});
  });
}

Response export_private_key(const Services& s, const Call& call) {
  return audited(s, call, "key.export", [&](audit::AuditEvent& event) {
    auto passphrase = passphrase_of(call);
    if (!passphrase || passphrase->empty()) {
      throw Error(ErrorCode::invalid_input,
                  "A passphrase to encrypt the exported key with is required");
    }
    const auto record = s.certificates->get(call.param("fingerprint"));
    event.fingerprints.push_back(record.sha256);
    std::string pem = s.certificates->export_private_key(record.sha256, *passphrase);
    Response r = download(pem, "application/x-pem-file", record.sha256.substr(0, 16) + ".key.pem");
    OPENSSL_cleanse(pem.data(), pem.size());
    r.headers.add("Cache-Control", "no-store");
    return r;
  });
}

}  // namespace

void add_certificate_routes(std::vector<Route>& routes, const Services& s) {
  routes.push_back({"POST", "/api/v1/certificates", Access::admin, certificate_media_types(),
                    "importCertificates", bind(s, import_certificates)});
  routes.push_back({"GET",
                    "/api/v1/certificates",
                    Access::read_certificates,
                    {},
                    "listCertificates",
                    bind(s, list_certificates)});
  routes.push_back({"GET",
                    "/api/v1/certificates/{fingerprint}",
                    Access::read_certificates,
                    {},
                    "getCertificate",
                    bind(s, show_certificate)});
  routes.push_back({"GET",
                    "/api/v1/certificates/{fingerprint}/download",
                    Access::read_certificates,
                    {},
                    "downloadCertificate",
                    bind(s, download_certificate)});
  routes.push_back({"DELETE",
                    "/api/v1/certificates/{fingerprint}",
                    Access::admin,
                    {},
                    "deleteCertificate",
                    bind(s, delete_certificate)});
  routes.push_back({"POST", "/api/v1/certificates/{fingerprint}/private-key", Access::admin,
                    key_media_types(), "importPrivateKey", bind(s, import_private_key)});
  routes.push_back({"POST",
                    "/api/v1/certificates/{fingerprint}/private-key/export",
                    Access::admin,
                    {"application/json"},
                    "exportPrivateKey",
                    bind(s, export_private_key)});
}

}  // namespace smime::server::routes
