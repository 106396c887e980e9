#include "json_views.hpp"

#include "smime/service/json_views.hpp"

namespace smime::server::views {

nlohmann::json certificate(const store::CertificateRecord& r, service::CertificateStatus status) {
  return service::to_json(r, status);
}

nlohmann::json import_failures(const std::vector<service::ImportFailure>& failures) {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : failures) errors.push_back(service::to_json(e));
  return errors;
}

nlohmann::json import_report(const service::ImportReport& report) {
  return service::to_json(report);
}

nlohmann::json key(const KeyInfo& key) {
  return service::to_json(key);
}

nlohmann::json group(const store::GroupRecord& g) {
  return {{"name", g.name},
          {"email", g.email},
          {"default", std::string(store::to_string(g.behaviour))},
          {"created_at", g.created_at},
          {"updated_at", g.updated_at}};
}

nlohmann::json crl(const store::CrlRecord& c) {
  return {{"id", c.id},
          {"issuer", c.issuer},
          {"issuer_fingerprint", c.issuer_sha256},
          {"this_update", c.this_update},
          {"next_update", c.next_update},
          {"crl_number", c.crl_number},
          {"imported_at", c.imported_at}};
}

nlohmann::json api_token(const store::ApiToken& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", std::string(store::to_string(t.role))},
          {"created_at", t.created_at},
          {"last_used_at", t.last_used_at ? nlohmann::json(*t.last_used_at) : nullptr},
          {"revoked_at", t.revoked_at ? nlohmann::json(*t.revoked_at) : nullptr},
          {"revoked", t.revoked_at.has_value()}};
}

}  // namespace smime::server::views
