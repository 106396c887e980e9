#include "smime/app/json_views.hpp"

#include "smime/audit/audit_json.hpp"
#include "smime/service/json_views.hpp"

namespace smime::app {

nlohmann::json to_json(const store::GroupRecord& g) {
  // null: the appliance's [verification] setting applies.
  nlohmann::json revocation = nullptr;
  if (g.revocation_hard)
    revocation = std::string(store::revocation_policy_name(*g.revocation_hard));
  nlohmann::json reject_sha1 = nullptr;
  if (g.reject_sha1) reject_sha1 = *g.reject_sha1;
  return {{"name", g.name},
          {"email", g.email},
          {"default", std::string(store::to_string(g.behaviour))},
          {"revocation", revocation},
          {"reject_sha1", reject_sha1},
          {"created_at", g.created_at},
          {"updated_at", g.updated_at}};
}

nlohmann::json to_json(const store::CrlRecord& c) {
  return {{"id", c.id},
          {"issuer", c.issuer},
          {"issuer_fingerprint", c.issuer_sha256},
          {"this_update", c.this_update},
          {"next_update", c.next_update},
          {"crl_number", c.crl_number},
          {"imported_at", c.imported_at}};
}

nlohmann::json to_json(const store::ApiToken& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", std::string(store::to_string(t.role))},
          {"created_at", t.created_at},
          {"last_used_at", t.last_used_at ? nlohmann::json(*t.last_used_at) : nullptr},
          {"revoked_at", t.revoked_at ? nlohmann::json(*t.revoked_at) : nullptr},
          {"revoked", t.revoked_at.has_value()}};
}

nlohmann::json to_json(const store::CreatedApiToken& created) {
  nlohmann::json result = to_json(created.token);
  result["secret"] = std::string(created.secret.view());
  return result;
}

nlohmann::json to_json(const CertificateListing& listing) {
  return service::to_json(listing.record, listing.status);
}

nlohmann::json to_json(const CertificateDetails& details) {
  nlohmann::json result = service::to_json(details.record, details.status);
  result["chain_trusted"] = details.chain_trusted;
  if (!details.chain_trusted) result["chain_error"] = details.chain_error;
  return result;
}

nlohmann::json to_json(const GeneratedKey& generated) {
  nlohmann::json result = {{"key", service::to_json(generated.key)}};
  if (!generated.csr_pem.empty()) result["csr_pem"] = generated.csr_pem;
  if (generated.certificate) {
    result["certificate_fingerprint"] = generated.certificate->sha256;
    result["certificate_pem"] = generated.certificate_pem;
  }
  return result;
}

nlohmann::json to_json(const ImportedKey& imported) {
  nlohmann::json certificates = nlohmann::json::array();
  for (const auto& owner : imported.certificates) certificates.push_back(owner.sha256);
  return {{"certificates", certificates},
          {"token_key_id", imported.token_key_id},
          {"exportable", imported.exportable}};
}

nlohmann::json to_json(const DeletedCertificate& deleted) {
  return {{"deleted", deleted.record.sha256}, {"key_deleted", deleted.key_deleted}};
}

nlohmann::json to_json(const LogPage& page) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& entry : page.entries) entries.push_back(audit::to_json(entry));
  return {{"entries", entries},
          {"total", page.total ? nlohmann::json(*page.total) : nlohmann::json(nullptr)},
          {"more", page.more}};
}

nlohmann::json to_json(const Health& health, bool details) {
  nlohmann::json result = {{"status", health.ok ? "ok" : "unavailable"}};
  if (!details) return result;
  nlohmann::json checks = nlohmann::json::object();
  for (const auto& check : health.checks) {
    checks[check.name] = {{"ok", check.ok}, {"detail", check.detail}};
  }
  result["checks"] = checks;
  return result;
}

nlohmann::json to_json(const DatabaseCopy& copy) {
  nlohmann::json tables = nlohmann::json::object();
  for (const auto& table : copy.copy.tables) tables[table.table] = table.rows;
  const store::CopiedAuditHead& source = copy.copy.audit_head;
  return {
      {"source", copy.copy.source.string()},
      {"source_schema_version", copy.copy.source_schema_version},
      {"target_schema_version", copy.copy.target_schema_version},
      {"tables", tables},
      {"revision", copy.copy.revision},
      {"audit_head",
       {{"sqlite", {{"id", source.last_id}, {"hash", source.hash}, {"entries", source.entries}}},
        {"postgresql",
         {{"id", copy.target.last_id},
          {"hash", copy.target.head_hash},
          {"entries", copy.target.entries}}}}}};
}

}  // namespace smime::app
