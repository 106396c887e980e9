#include "output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include "smime/common/error.hpp"

namespace smimectl {

void emit(const AppContext& ctx, const nlohmann::json& result,
          const std::function<void(std::ostream&)>& human) {
  if (ctx.json()) {
    std::cout << result.dump(2) << "\n";
  } else {
    human(std::cout);
  }
}

nlohmann::json to_json(const smime::KeyInfo& key) {
  nlohmann::json j = {
      {"id", key.id},
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
      {"uri", key.uri},
  };
  if (!key.curve.empty()) j["curve"] = key.curve;
  return j;
}

nlohmann::json to_json(const smime::store::CertificateRecord& r,
                       smime::service::CertificateStatus status) {
  nlohmann::json j = {{"fingerprint", r.sha256},
                      {"sha1", r.sha1},
                      {"subject", r.subject},
                      {"issuer", r.issuer},
                      {"serial", r.serial},
                      {"emails", r.emails},
                      {"not_before", r.not_before},
                      {"not_after", r.not_after},
                      {"status", smime::service::to_string(status)},
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
                      {"authority_key_id", r.authority_key_id}};
  if (!r.curve.empty()) j["curve"] = r.curve;
  if (r.token_key_id) j["token_key_id"] = *r.token_key_id;
  return j;
}

nlohmann::json to_json(const smime::service::ImportReport& report) {
  nlohmann::json imported = nlohmann::json::array();
  for (const auto& i : report.imported) {
    imported.push_back({{"fingerprint", i.record.sha256},
                        {"subject", i.record.subject},
                        {"emails", i.record.emails},
                        {"is_ca", i.record.is_ca},
                        {"key_imported", i.key_imported}});
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : report.errors) {
    nlohmann::json j = {{"item", e.item}, {"kind", e.kind}, {"message", e.message}};
    if (!e.subject.empty()) j["subject"] = e.subject;
    if (!e.fingerprint.empty()) j["fingerprint"] = e.fingerprint;
    if (!e.rule.empty()) j["rule"] = e.rule;
    errors.push_back(j);
  }
  return {{"imported", imported}, {"errors", errors}};
}

std::vector<unsigned char> read_input_file(const std::string& path) {
  if (path == "-") {
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw smime::Error(smime::ErrorCode::not_found, "Cannot read " + path + ": no such file");
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_output_file(const std::string& path, const std::string& content, unsigned mode) {
  if (path == "-") {
    std::cout << content;
    return;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    throw smime::Error(smime::ErrorCode::io, "Cannot write " + path + ": " + std::strerror(errno));
  }
  const bool ok =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::close(fd);
  if (!ok) throw smime::Error(smime::ErrorCode::io, "Cannot write " + path);
}

}  // namespace smimectl
