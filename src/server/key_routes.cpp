// /api/v1/keys: keys in the token; generation inside the token with a CSR (or a self-signed
// certificate) signed by the token key, as `smimectl key generate` does.
#include <algorithm>

#include "json_views.hpp"
#include "routes.hpp"
#include "smime/provisioning/certificate_builder.hpp"

namespace smime::server::routes {
namespace {

std::vector<std::string> json_string_list(const Call& call, std::string_view field) {
  std::vector<std::string> out;
  if (!call.json.is_object()) return out;
  auto it = call.json.find(field);
  if (it == call.json.end() || it->is_null()) return out;
  if (!it->is_array()) {
    throw Error(ErrorCode::invalid_input, "'" + std::string(field) + "' must be a list");
  }
  for (const auto& item : *it) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      throw Error(ErrorCode::invalid_input,
                  "'" + std::string(field) + "' must be a list of non-empty strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Response list_keys(const Services& s, const Call& /*call*/) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : s.keys().list()) keys.push_back(views::key(k));
  return json_response(200, {{"keys", keys}});
}

Response generate_key(const Services& s, const Call& call) {
  return audited(s, call, "key.generate", [&](audit::AuditEvent& event) {
    const std::string algorithm_name = json_string(call, "algorithm");
    const auto algorithm = parse_key_algorithm(algorithm_name);
    if (!algorithm) {
      throw Error(ErrorCode::invalid_input,
                  "Unknown algorithm '" + algorithm_name +
                      "': use rsa-2048, rsa-3072, rsa-4096, ec-p256 or ec-p384");
    }
    const std::string label = json_string(call, "label");
    provisioning::SmimeIdentity identity{json_optional_string(call, "subject").value_or(""),
                                         json_string_list(call, "emails")};
    const bool self_signed = json_optional_bool(call, "self_signed").value_or(false);
    const bool csr = json_optional_bool(call, "csr").value_or(!identity.emails.empty());
    int days = 365;
    if (call.json.contains("days")) {
      if (!call.json["days"].is_number_integer()) {
        throw Error(ErrorCode::invalid_input, "'days' must be a number");
      }
      days = call.json["days"].get<int>();
      if (days < 1 || days > 3650) {
        throw Error(ErrorCode::invalid_input, "'days' must be between 1 and 3650");
      }
    }
    if ((csr || self_signed) && identity.emails.empty()) {
      throw Error(ErrorCode::invalid_input,
                  "A CSR or self-signed certificate needs at least one address in 'emails'");
    }
    // A bad subject is refused before the key exists.
    if (csr || self_signed) provisioning::subject_name_for(identity);
    event.addresses = identity.emails;

    KeyStore& keys = s.keys();
    const KeyInfo key = keys.generate(*algorithm, label);
    event.detail = "key " + key.id + " (" + algorithm_name + ")";
    nlohmann::json result = {{"key", views::key(key)}};
    try {
      if (csr || self_signed) {
        EvpPkeyPtr public_key = keys.public_key(key.id);
        EvpPkeyPtr private_key = keys.private_key(key.id);
        if (csr) {
          auto request = provisioning::build_csr(identity, public_key.get(), private_key.get());
          result["csr_pem"] = provisioning::to_pem(request.get());
        }
        if (self_signed) {
          auto cert =
              provisioning::build_self_signed(identity, public_key.get(), private_key.get(), days);
          const auto der = provisioning::to_der(cert.get());
          keys.store_certificate(key.id, label, der);
          auto report = s.certificates->import_certificates(der);
          if (report.imported.size() != 1) {
            throw Error(
                ErrorCode::internal,
                "The self-signed certificate could not be stored: " +
                    (report.errors.empty() ? std::string("?") : report.errors.front().message));
          }
          const std::string fingerprint = report.imported.front().record.sha256;
          s.store->set_certificate_key(fingerprint, key.id, false);
          event.fingerprints.push_back(fingerprint);
          result["certificate_fingerprint"] = fingerprint;
          result["certificate_pem"] = provisioning::to_pem(cert.get());
        }
      }
    } catch (...) {
      // All or nothing: a key whose CSR or certificate failed is removed again.
      keys.remove(key.id);
      throw;
    }
    return json_response(201, result);
  });
}

Response delete_key(const Services& s, const Call& call) {
  return audited(s, call, "key.delete", [&](audit::AuditEvent& event) {
    const std::string& id = call.param("id");
    event.detail = "key " + id;
    KeyStore& keys = s.keys();
    if (!keys.find(id)) throw Error(ErrorCode::not_found, "No key with id " + id + " in the token");
    if (std::find(s.reserved_key_ids.begin(), s.reserved_key_ids.end(), id) !=
        s.reserved_key_ids.end()) {
      throw Error(ErrorCode::conflict,
                  "The key " + id + " is smimed's TLS key; replace the TLS certificate first");
    }
    store::CertificateQuery with_keys;
    with_keys.has_key = true;
    for (const auto& record : s.store->find_certificates(with_keys)) {
      if (record.token_key_id == id) {
        throw Error(ErrorCode::conflict, "The key belongs to certificate " + record.sha256 +
                                             "; delete the certificate with with_key=true");
      }
    }
    keys.remove(id);
    return no_content();
  });
}

}  // namespace

void add_key_routes(std::vector<Route>& routes, const Services& s) {
  routes.push_back({"GET", "/api/v1/keys", Access::admin, {}, "listKeys", bind(s, list_keys)});
  routes.push_back({"POST",
                    "/api/v1/keys",
                    Access::admin,
                    {"application/json"},
                    "generateKey",
                    bind(s, generate_key)});
  routes.push_back(
      {"DELETE", "/api/v1/keys/{id}", Access::admin, {}, "deleteKey", bind(s, delete_key)});
}

}  // namespace smime::server::routes
