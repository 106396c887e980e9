#include "smime/service/json_views.hpp"

namespace smime::service {

nlohmann::json to_json(const store::CertificateRecord& r, CertificateStatus status) {
  nlohmann::json j = {{"fingerprint", r.sha256},
                      {"sha1", r.sha1},
                      {"subject", r.subject},
                      {"issuer", r.issuer},
                      {"serial", r.serial},
                      {"emails", r.emails},
                      {"not_before", r.not_before},
                      {"not_after", r.not_after},
                      {"status", to_string(status)},
                      {"key_algorithm", r.key_algorithm},
                      {"key_bits", r.key_bits},
                      {"key_usages", r.key_usages},
                      {"extended_key_usages", r.extended_key_usages},
                      {"can_sign", r.can_sign},
                      {"can_encrypt", r.can_encrypt},
                      {"is_ca", r.is_ca},
                      {"trusted", r.trusted},
                      {"has_private_key", r.token_key_id.has_value()},
                      {"key_exportable", r.key_exportable},
                      {"subject_key_id", r.subject_key_id},
                      {"authority_key_id", r.authority_key_id},
                      {"created_at", r.created_at},
                      {"legacy", !r.legacy_rules.empty()},
                      {"legacy_rules", r.legacy_rules}};
  if (!r.curve.empty()) j["curve"] = r.curve;
  if (r.token_key_id) j["token_key_id"] = *r.token_key_id;
  return j;
}

nlohmann::json to_json(const ImportFailure& e) {
  nlohmann::json j = {{"item", e.item}, {"kind", e.kind}, {"message", e.message}};
  if (!e.subject.empty()) j["subject"] = e.subject;
  if (!e.fingerprint.empty()) j["fingerprint"] = e.fingerprint;
  if (!e.rule.empty()) j["rule"] = e.rule;
  if (e.count > 1) j["count"] = e.count;
  return j;
}

namespace {

nlohmann::json items(const std::vector<ImportedCertificate>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& i : list) {
    nlohmann::json item = {{"item", i.item},
                           {"fingerprint", i.record.sha256},
                           {"subject", i.record.subject},
                           {"emails", i.record.emails},
                           {"is_ca", i.record.is_ca},
                           {"trusted", i.record.trusted},
                           {"key_imported", i.key_imported},
                           {"legacy", !i.record.legacy_rules.empty()},
                           {"legacy_rules", i.record.legacy_rules}};
    if (!i.record.legacy_rules.empty()) item["relaxed"] = relaxed_rules_text(i.record.legacy_rules);
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

std::string relaxed_rules_text(const std::vector<std::string>& rules) {
  std::string text;
  for (const std::string& rule : rules) {
    if (!text.empty()) text += "; ";
    if (rule == "subject_alt_name_email") {
      text += "subject_alt_name_email: the address is taken from the subject (emailAddress)";
    } else if (rule == "key_usage") {
      text += "key_usage: no Key Usage extension, every usage allowed";
    } else {
      text += rule;
    }
  }
  return "accepted under the legacy-certificate policy (" + text + ")";
}

nlohmann::json to_json(const ImportReport& report) {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : report.errors) errors.push_back(to_json(e));
  nlohmann::json j = {
      {"imported", items(report.imported)}, {"present", items(report.present)}, {"errors", errors}};
  if (report.errors_omitted > 0) j["errors_omitted"] = report.errors_omitted;
  return j;
}

nlohmann::json to_json(const KeyInfo& key) {
  nlohmann::json j = {{"id", key.id},
                      {"label", key.label},
                      {"type", std::string(smime::to_string(key.type))},
                      {"bits", key.bits},
                      {"has_private_key", key.has_private},
                      {"has_public_key", key.has_public},
                      {"has_certificate", key.has_certificate},
                      {"sensitive", key.sensitive},
                      {"extractable", key.extractable},
                      {"always_sensitive", key.always_sensitive},
                      {"never_extractable", key.never_extractable},
                      {"uri", key.uri}};
  if (!key.curve.empty()) j["curve"] = key.curve;
  return j;
}

}  // namespace smime::service
