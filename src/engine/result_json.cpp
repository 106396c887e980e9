#include "smime/engine/result_json.hpp"

namespace smime::engine {

nlohmann::json to_json(const UsedCertificate& c) {
  nlohmann::json out = {
      {"address", c.address}, {"fingerprint", c.fingerprint}, {"subject", c.subject}};
  if (!c.key_transport.empty()) {
    out["key_transport"] = c.key_transport;
    out["key_transport_reason"] = c.key_transport_reason;
    out["capabilities"] = c.capabilities;
    out["capabilities_source"] = c.capabilities_source;
  }
  return out;
}

nlohmann::json to_json(const OutgoingResult& result) {
  nlohmann::json summary = {{"signed", result.signed_},
                            {"encrypted", result.encrypted},
                            {"format", result.format},
                            {"micalg", result.micalg},
                            {"decided_by", result.decided_by},
                            {"signer", result.signer ? to_json(*result.signer) : nlohmann::json()},
                            {"recipients", nlohmann::json::array()}};
  for (const auto& r : result.recipients) summary["recipients"].push_back(to_json(r));
  if (!result.not_encrypted_reason.empty()) {
    summary["not_encrypted_reason"] = result.not_encrypted_reason;
  }
  if (result.encrypted) {
    summary["cipher"] = result.cipher;
    summary["cipher_reason"] = result.cipher_reason;
  }
  return summary;
}

namespace {

nlohmann::json signer_json(const std::optional<SignerDetails>& signer) {
  if (!signer) return nullptr;
  const auto& s = *signer;
  return {{"fingerprint", s.fingerprint}, {"subject", s.subject}, {"issuer", s.issuer},
          {"serial", s.serial},           {"emails", s.emails},   {"not_before", s.not_before},
          {"not_after", s.not_after},     {"stored", s.stored},   {"capabilities", s.capabilities}};
}

nlohmann::json check_json(const SignatureCheck& check) {
  nlohmann::json out = {{"status", check.status}, {"reason", check.reason}};
  if (!check.certificate.empty()) out["certificate"] = check.certificate;
  if (!check.source.empty()) out["source"] = check.source;
  if (!check.origin.empty()) out["origin"] = check.origin;
  if (!check.name.empty()) out["name"] = check.name;
  return out;
}

}  // namespace

nlohmann::json to_json(const SignatureLayer& layer) {
  const SignatureChecks& c = layer.checks;
  return {{"format", layer.format},
          {"status", to_string(layer.status)},
          {"reason", layer.reason},
          {"signer", signer_json(layer.signer)},
          {"checks",
           {{"integrity", check_json(c.integrity)},
            {"chain", check_json(c.chain)},
            {"revocation", check_json(c.revocation)},
            {"sender_match", check_json(c.sender_match)},
            {"validity", check_json(c.validity)},
            {"algorithm", check_json(c.algorithm)}}},
          {"warnings", layer.warnings}};
}

nlohmann::json to_json(const IncomingResult& result) {
  nlohmann::json signature = {{"status", to_string(result.signature)},
                              {"reason", result.signature_reason},
                              {"signer", signer_json(result.signer)}};
  nlohmann::json summary = {
      {"encrypted", result.encrypted},     {"decrypted", result.decrypted},
      {"signed", result.signed_},          {"signature", signature},
      {"layers", result.layers},           {"decryption_key", result.decryption_key},
      {"errors", nlohmann::json::array()}, {"missing", nlohmann::json::array()}};
  summary["signatures"] = nlohmann::json::array();
  for (const auto& layer : result.signatures) summary["signatures"].push_back(to_json(layer));
  for (const auto& e : result.errors) {
    summary["errors"].push_back({{"code", e.code}, {"message", e.message}});
  }
  if (!result.harvested_certificate.empty()) {
    summary["harvested_certificate"] = result.harvested_certificate;
  }
  if (!result.harvested_intermediates.empty()) {
    summary["harvested_intermediates"] = result.harvested_intermediates;
  }
  if (!result.capabilities_recorded.empty()) {
    summary["capabilities_recorded"] = result.capabilities_recorded;
  }
  for (const auto& m : result.missing) {
    summary["missing"].push_back({{"kind", m.kind},
                                  {"issuer", m.issuer},
                                  {"serial", m.serial},
                                  {"subject_key_id", m.subject_key_id},
                                  {"subject", m.subject}});
  }
  return summary;
}

nlohmann::json to_json(const PreflightResult& result) {
  nlohmann::json certificates = nlohmann::json::array();
  for (const auto& c : result.encrypt.certificates) certificates.push_back(to_json(c));
  nlohmann::json missing = nlohmann::json::array();
  for (const auto& m : result.encrypt.missing) {
    missing.push_back({{"address", m.address}, {"reason", m.reason}});
  }
  return {{"sign",
           {{"possible", result.sign.possible},
            {"reason", result.sign.reason},
            {"certificate",
             result.sign.certificate ? to_json(*result.sign.certificate) : nlohmann::json()}}},
          {"encrypt",
           {{"possible", result.encrypt.possible},
            {"reason", result.encrypt.reason},
            {"cipher", result.encrypt.cipher.empty() ? nlohmann::json()
                                                     : nlohmann::json(result.encrypt.cipher)},
            {"cipher_reason", result.encrypt.cipher_reason.empty()
                                  ? nlohmann::json()
                                  : nlohmann::json(result.encrypt.cipher_reason)},
            {"certificates", certificates},
            {"missing", missing}}},
          {"defaults",
           {{"group", result.defaults.group},
            {"behaviour", result.defaults.behaviour},
            {"sign", result.defaults.sign},
            {"encrypt", result.defaults.encrypt}}}};
}

}  // namespace smime::engine
