#include "json_views.hpp"

namespace smime::server::views {

nlohmann::json certificate(const store::CertificateRecord& r, service::CertificateStatus status) {
  nlohmann::json j = {{"fingerprint", r.sha256},
                      {"sha1", r.sha1},
                      {"subject", r.subject},
                      {"issuer", r.issuer},
                      {"serial", r.serial},
                      {"emails", r.emails},
                      {"not_before", r.not_before},
                      {"not_after", r.not_after},
                      {"status", service::to_string(status)},
                      {"key_algorithm", r.key_algorithm},
                      {"key_bits", r.key_bits},
                      {"key_usages", r.key_usages},
                      {"extended_key_usages", r.extended_key_usages},
                      {"can_sign", r.can_sign},
                      {"can_encrypt", r.can_encrypt},
                      {"is_ca", r.is_ca},
                      {"has_private_key", r.token_key_id.has_value()},
                      {"key_exportable", r.key_exportable},
                      {"subject_key_id", r.subject_key_id},
                      {"authority_key_id", r.authority_key_id},
                      {"created_at", r.created_at}};
  if (!r.curve.empty()) j["curve"] = r.curve;
  if (r.token_key_id) j["token_key_id"] = *r.token_key_id;
  return j;
}

nlohmann::json import_failures(const std::vector<service::ImportFailure>& failures) {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : failures) {
    nlohmann::json j = {{"item", e.item}, {"kind", e.kind}, {"message", e.message}};
    if (!e.subject.empty()) j["subject"] = e.subject;
    if (!e.fingerprint.empty()) j["fingerprint"] = e.fingerprint;
    if (!e.rule.empty()) j["rule"] = e.rule;
    errors.push_back(j);
  }
  return errors;
}

nlohmann::json import_report(const service::ImportReport& report) {
  nlohmann::json imported = nlohmann::json::array();
  for (const auto& i : report.imported) {
    imported.push_back({{"fingerprint", i.record.sha256},
                        {"subject", i.record.subject},
                        {"emails", i.record.emails},
                        {"is_ca", i.record.is_ca},
                        {"key_imported", i.key_imported}});
  }
  return {{"imported", imported}, {"errors", import_failures(report.errors)}};
}

nlohmann::json key(const KeyInfo& key) {
  nlohmann::json j = {{"id", key.id},
                      {"label", key.label},
                      {"type", std::string(to_string(key.type))},
                      {"bits", key.bits},
                      {"has_private_key", key.has_private},
                      {"has_public_key", key.has_public},
                      {"has_certificate", key.has_certificate},
                      {"sensitive", key.sensitive},
                      {"extractable", key.extractable},
                      {"uri", key.uri}};
  if (!key.curve.empty()) j["curve"] = key.curve;
  return j;
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
