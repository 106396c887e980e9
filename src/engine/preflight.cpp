// Preflight (SPEC §7): the same signer and recipient selection as outgoing mail, reported
// instead of applied, so a composer can enable its Sign and Encrypt buttons and say why not.
#include <algorithm>

#include "address_list.hpp"
#include "cipher_choice.hpp"
#include "engine_state.hpp"
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
  const std::size_t given =
      (request.from.empty() ? 0 : 1) + request.to.size() + request.cc.size() + request.bcc.size();
  if (given > limits_.addresses) {
    throw_limit_exceeded("The number of addresses in the request", limits_.addresses, "addresses");
  }
  AddressList from_list;
  if (!request.from.empty()) from_list.add(request.from);
  AddressList recipient_list;
  recipient_list.add_all(request.to);
  recipient_list.add_all(request.cc);
  recipient_list.add_all(request.bcc);
  const std::vector<std::string>& from = from_list.items();
  require_addresses(from);
  require_addresses(recipient_list.items());

  const auto group = resolve_group(caches_->groups, request.group, from);
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

  if (recipient_list.empty()) {
    result.encrypt.reason = "There was no recipient found";
    return result;
  }
  if (request.encrypt_to_sender.value_or(policy_.encrypt_to_sender) && !sender.empty()) {
    recipient_list.add(sender);
  }
  auto trust = caches_->trust.current();
  std::vector<X509Ptr> owned;
  std::vector<CipherRecipient> planned;
  for (const service::Selection& selection :
       certificates_.encryption_certificates(recipient_list.items())) {
    if (selection.certificate) {
      result.encrypt.certificates.push_back(UsedCertificate{
          selection.address, selection.certificate->sha256, selection.certificate->subject});
      owned.push_back(certificate_of(*trust, *selection.certificate));
      planned.push_back({selection.address, selection.certificate->sha256, owned.back().get(),
                         selection.certificate->token_key_id.has_value()});
    } else {
      result.encrypt.missing.push_back({selection.address, selection.reason});
    }
  }
  // What outgoing would choose for these recipients (a request that forces nothing).
  const CipherChoice choice = choose_cipher(store_, planned, forced_algorithms({}));
  for (std::size_t i = 0; i < planned.size(); ++i) {
    describe_transport(choice.recipients[i], result.encrypt.certificates[i]);
  }
  result.encrypt.possible = result.encrypt.missing.empty();
  if (result.encrypt.possible) {
    result.encrypt.cipher = std::string(to_string(choice.cipher));
    result.encrypt.cipher_reason = choice.reason;
  }
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
