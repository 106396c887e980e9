// Preflight (SPEC §7): the same signer and recipient selection as outgoing mail, reported
// instead of applied, so a composer can enable its Sign and Encrypt buttons and say why not.
#include <algorithm>

#include "group_policy.hpp"
#include "smime/common/error.hpp"
#include "smime/engine/engine.hpp"

namespace smime::engine {
namespace {

void require_addresses(const std::vector<std::string>& addresses) {
  for (const std::string& address : addresses) {
    const auto at = address.find('@');
    const bool blank = std::any_of(address.begin(), address.end(), [](unsigned char c) {
      return c <= ' ' || c == '<' || c == '>' || c == ',' || c == '"';
    });
    if (at == std::string::npos || at == 0 || at + 1 == address.size() || blank) {
      throw Error(ErrorCode::invalid_input, "Not an email address: " + address);
    }
  }
}

}  // namespace

PreflightResult Engine::preflight(const PreflightRequest& request) {
  std::vector<std::string> from;
  if (!request.from.empty()) add_unique(from, {request.from});
  std::vector<std::string> recipients;
  add_unique(recipients, request.to);
  add_unique(recipients, request.cc);
  add_unique(recipients, request.bcc);
  require_addresses(from);
  require_addresses(recipients);

  const auto group = resolve_group(store_, request.group, from);
  const std::string sender = group ? group->email : (from.empty() ? std::string{} : from.front());
  const store::DefaultBehaviour behaviour =
      group ? group->behaviour : store::DefaultBehaviour::sign_encrypt;

  PreflightResult result;
  result.defaults.group = group ? group->name : "";
  result.defaults.behaviour = std::string(store::to_string(behaviour));
  result.defaults.sign = behaviour_signs(behaviour);
  result.defaults.encrypt = behaviour_encrypts(behaviour);

  if (sender.empty()) {
    result.sign.reason = "There was no sender found";
  } else {
    service::Selection signer = certificates_.signing_certificate(sender);
    result.sign.reason = signer.reason;
    if (signer.certificate) {
      result.sign.possible = true;
      result.sign.certificate =
          UsedCertificate{sender, signer.certificate->sha256, signer.certificate->subject};
    }
  }

  if (recipients.empty()) {
    result.encrypt.reason = "There was no recipient found";
    return result;
  }
  if (request.encrypt_to_sender.value_or(policy_.encrypt_to_sender) && !sender.empty()) {
    add_unique(recipients, {sender});
  }
  for (const service::Selection& selection : certificates_.encryption_certificates(recipients)) {
    if (selection.certificate) {
      result.encrypt.certificates.push_back(UsedCertificate{
          selection.address, selection.certificate->sha256, selection.certificate->subject});
    } else {
      result.encrypt.missing.push_back({selection.address, selection.reason});
    }
  }
  result.encrypt.possible = result.encrypt.missing.empty();
  if (!result.encrypt.possible) {
    result.encrypt.reason = result.encrypt.missing.front().reason;
  } else if (result.encrypt.certificates.size() == 1) {
    result.encrypt.reason =
        "The certificate for " + result.encrypt.certificates.front().address + " was found";
  } else {
    result.encrypt.reason = "The certificates for all " +
                            std::to_string(result.encrypt.certificates.size()) +
                            " recipients were found";
  }
  return result;
}

}  // namespace smime::engine
