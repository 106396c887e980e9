// /api/v1/certificates: import, list/search, show, download, delete, private key import and
// export — each one use case of app::CertificateUseCases or app::KeyUseCases.
#include <openssl/crypto.h>

#include "routes.hpp"
#include "smime/app/json_views.hpp"
#include "smime/service/json_views.hpp"

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
  nlohmann::json details = nlohmann::json::array();
  for (const auto& e : report.errors) details.push_back(service::to_json(e));
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

Response import_certificates(const ApiContext& c, const Call& call) {
  auto passphrase = passphrase_of(call);
  app::CertificateImport request;
  request.input = body_bytes(call);
  request.passphrase = passphrase ? &*passphrase : nullptr;
  request.keys_exportable = call.query_flag("exportable").value_or(false);
  request.trust = call.query_flag("trust");
  const service::ImportReport report =
      c.use_cases.certificates.import_certificates(caller_of(call), request);
  if (!report.succeeded()) return failed_import(report);
  return json_response(201, service::to_json(report));
}

Response list_certificates(const ApiContext& c, const Call& call) {
  store::CertificateQuery query;
  query.email = call.query("email");
  query.subject_contains = call.query("search");
  query.fingerprint_prefix = call.query("fingerprint");
  query.has_key = call.query_flag("has_key");
  query.is_ca = call.query_flag("ca");
  query.limit = static_cast<int>(query_integer(call, "limit", 0, 0, 1'000'000));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& listing : c.use_cases.certificates.list(query)) {
    list.push_back(app::to_json(listing));
  }
  return json_response(200, {{"certificates", list}});
}

Response show_certificate(const ApiContext& c, const Call& call) {
  return json_response(200, app::to_json(c.use_cases.certificates.show(call.param("fingerprint"))));
}

// PUT {"trusted": true|false}: the certificate becomes a trust anchor or stops being one.
Response set_certificate_trust(const ApiContext& c, const Call& call) {
  const std::optional<bool> trusted = json_optional_bool(call, "trusted");
  if (!trusted) throw Error(ErrorCode::invalid_input, "'trusted' (true or false) is required");
  const store::CertificateRecord record =
      c.use_cases.certificates.set_trust(caller_of(call), call.param("fingerprint"), *trusted);
  return json_response(200, app::to_json(c.use_cases.certificates.show(record.sha256)));
}

Response download_certificate(const ApiContext& c, const Call& call) {
  const std::string format = call.query("format", "pem");
  if (format != "pem" && format != "der") {
    throw Error(ErrorCode::invalid_input, "'format' must be pem or der");
  }
  const bool der = format == "der";
  auto file = c.use_cases.certificates.download(call.param("fingerprint"), der);
  return download(std::string(file.bytes.begin(), file.bytes.end()),
                  der ? "application/pkix-cert" : "application/x-pem-file",
                  file.fingerprint.substr(0, 16) + (der ? ".cer" : ".pem"));
}

Response delete_certificate(const ApiContext& c, const Call& call) {
  c.use_cases.certificates.remove(caller_of(call), call.param("fingerprint"),
                                  call.query_flag("with_key").value_or(false));
  return no_content();
}

Response import_private_key(const ApiContext& c, const Call& call) {
  SecureBytes key_file;
  app::KeyImport request;
  request.exportable = call.query_flag("exportable").value_or(false);
  if (call.json.is_object()) {
    std::string pem = json_string(call, "key");
    key_file.assign(pem.begin(), pem.end());
    OPENSSL_cleanse(pem.data(), pem.size());
    if (auto flag = json_optional_bool(call, "exportable")) request.exportable = *flag;
    request.label = json_optional_string(call, "label").value_or("");
  } else {
    key_file.assign(call.request.body.begin(), call.request.body.end());
  }
  auto passphrase = passphrase_of(call);
  request.key_file = key_file;
  request.passphrase = passphrase ? &*passphrase : nullptr;
  request.fingerprint = call.param("fingerprint");
  return json_response(201, app::to_json(c.use_cases.keys.import_key(caller_of(call), request)));
}

Response export_private_key(const ApiContext& c, const Call& call) {
  const auto passphrase = passphrase_of(call).value_or(SecretString());
  const app::ExportedKey exported =
      c.use_cases.keys.export_key(caller_of(call), call.param("fingerprint"), passphrase);
  Response r = download(std::string(exported.pem.view()), "application/x-pem-file",
                        exported.fingerprint.substr(0, 16) + ".key.pem");
  r.headers.add("Cache-Control", "no-store");
  return r;
}

}  // namespace

void add_certificate_routes(std::vector<Route>& routes, const ApiContext& c) {
  routes.push_back({"POST", "/api/v1/certificates", Access::admin, certificate_media_types(),
                    "importCertificates", bind(c, import_certificates)});
  routes.back().parameters = {"exportable", "trust"};
  routes.push_back({"GET",
                    "/api/v1/certificates",
                    Access::read_certificates,
                    {},
                    "listCertificates",
                    bind(c, list_certificates)});
  routes.back().parameters = {"email", "search", "fingerprint", "has_key", "ca", "limit"};
  routes.push_back({"GET",
                    "/api/v1/certificates/{fingerprint}",
                    Access::read_certificates,
                    {},
                    "getCertificate",
                    bind(c, show_certificate)});
  routes.push_back({"PUT",
                    "/api/v1/certificates/{fingerprint}/trust",
                    Access::admin,
                    {"application/json"},
                    "setCertificateTrust",
                    bind(c, set_certificate_trust)});
  routes.push_back({"GET",
                    "/api/v1/certificates/{fingerprint}/download",
                    Access::read_certificates,
                    {},
                    "downloadCertificate",
                    bind(c, download_certificate)});
  routes.back().parameters = {"format"};
  routes.push_back({"DELETE",
                    "/api/v1/certificates/{fingerprint}",
                    Access::admin,
                    {},
                    "deleteCertificate",
                    bind(c, delete_certificate)});
  routes.back().parameters = {"with_key"};
  routes.push_back({"POST", "/api/v1/certificates/{fingerprint}/private-key", Access::admin,
                    key_media_types(), "importPrivateKey", bind(c, import_private_key)});
  routes.back().parameters = {"exportable"};
  routes.push_back({"POST",
                    "/api/v1/certificates/{fingerprint}/private-key/export",
                    Access::admin,
                    {"application/json"},
                    "exportPrivateKey",
                    bind(c, export_private_key)});
}

}  // namespace smime::server::routes
