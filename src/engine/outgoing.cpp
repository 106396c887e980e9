// Outgoing mail (SPEC §7): decide sign/encrypt (request, else group default), pick the signing
// certificate for the sender and one certificate per recipient, then sign the canonical
// content entity and encrypt the signed entity.
#include <algorithm>

#include "address_list.hpp"
#include "cipher_choice.hpp"
#include "cms/cms_operations.hpp"
#include "engine_state.hpp"
#include "group_policy.hpp"
#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"
#include "smime/common/release_pages.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine {
namespace {

struct Decision {
  bool sign = false;
  bool sign_required = false;
  bool encrypt = false;
  bool encrypt_required = false;
  std::string decided_by;
};

// Explicit choices must succeed; defaults mean "if possible" (the helpdesk's default).
Decision decide(const OutgoingRequest& request, const std::optional<store::GroupRecord>& group) {
  const store::DefaultBehaviour behaviour =
      group ? group->behaviour : store::DefaultBehaviour::sign_encrypt;
  Decision d;
  d.sign_required = request.sign.has_value();
  d.sign = request.sign.value_or(behaviour_signs(behaviour));
  d.encrypt_required = request.encrypt.has_value();
  d.encrypt = request.encrypt.value_or(behaviour_encrypts(behaviour));
  if (d.sign_required && d.encrypt_required) {
    d.decided_by = "request";
  } else {
    d.decided_by = group ? "group " + group->name : "default";
  }
  return d;
}

// The message's addresses within Limits::addresses (the request's Bcc counted too), and at
// most one From and one Sender field: the signing key is chosen by From.
mime::MessageAddresses outgoing_addresses(std::string_view message, const OutgoingRequest& request,
                                          const Limits& limits) {
  if (request.bcc.size() > limits.addresses) {
    throw_limit_exceeded("The number of addresses in the request", limits.addresses, "addresses");
  }
  mime::MessageAddresses addresses =
      mime::parse_addresses(message, limits.addresses - request.bcc.size());
  for (const auto& [count, name] :
       {std::pair{addresses.from_fields, "From"}, std::pair{addresses.sender_fields, "Sender"}}) {
    if (count > 1) {
      throw Error(ErrorCode::invalid_input, "The message has " + std::to_string(count) + " " +
                                                name + " header fields; RFC 5322 allows one");
    }
  }
  return addresses;
}

// Signing names its signer by From (SPEC §7): without exactly one address there, any key
// chosen would be a guess.
void require_one_sender(const mime::MessageAddresses& addresses) {
  if (addresses.from.size() == 1) return;
  throw Error(ErrorCode::invalid_input,
              "Cannot sign: the message needs exactly one sender address in From (it has " +
                  std::to_string(addresses.from.size()) + ")");
}

std::optional<service::Selection> select_signer(service::CertificateService& certificates,
                                                const std::string& sender,
                                                const Decision& decision) {
  service::Selection selection = certificates.signing_certificate(sender);
  if (selection.certificate) return selection;
  if (decision.sign_required)
    throw Error(ErrorCode::no_certificate, "Cannot sign: " + selection.reason);
  return std::nullopt;
}

// One certificate for every recipient, or none at all ("if possible": no partial encryption).
std::vector<service::Selection> select_recipients(service::CertificateService& certificates,
                                                  const OutgoingRequest& request,
                                                  const mime::MessageAddresses& addresses,
                                                  const std::string& sender,
                                                  const Decision& decision, bool to_sender,
                                                  std::string& not_encrypted_reason) {
  AddressList to;
  to.add_all(addresses.to);
  to.add_all(addresses.cc);
  to.add_all(addresses.bcc);
  to.add_all(request.bcc);
  if (to.empty()) {
    if (decision.encrypt_required) {
      throw Error(ErrorCode::no_certificate, "Cannot encrypt: There was no recipient found");
    }
    not_encrypted_reason = "There was no recipient found";
    return {};
  }
  if (to_sender && !sender.empty()) to.add(sender);
  std::vector<service::Selection> recipients = certificates.encryption_certificates(to.items());
  auto missing = std::find_if(recipients.begin(), recipients.end(),
                              [](const service::Selection& s) { return !s.certificate; });
  if (missing == recipients.end()) return recipients;
  if (decision.encrypt_required) {
    throw Error(ErrorCode::no_certificate,
                "Cannot encrypt to " + missing->address + ": " + missing->reason);
  }
  // Every recipient without a usable certificate, so the helpdesk knows whom to ask.
  for (const service::Selection& s : recipients) {
    if (s.certificate) continue;
    not_encrypted_reason += (not_encrypted_reason.empty() ? "No usable certificate for " : "; ") +
                            s.address + " (" + s.reason + ")";
  }
  return {};
}

}  // namespace

ForcedAlgorithms Engine::forced_algorithms(const OutgoingRequest& request) const {
  ForcedAlgorithms forced;
  if (request.cipher) {
    forced.cipher = request.cipher;
    forced.cipher_by = "the request";
  } else if (policy_.cipher) {
    forced.cipher = policy_.cipher;
    forced.cipher_by = "[encryption] cipher";
  }
  if (request.transport) {
    forced.transport = request.transport;
    forced.transport_by = "the request";
  } else if (policy_.transport) {
    forced.transport = policy_.transport;
    forced.transport_by = "[encryption] key_transport";
  }
  return forced;
}

mime::SignedFrame Engine::sign_entity(std::string& entity, const service::Selection& signer,
                                      const OutgoingRequest& request, const TrustSnapshot& trust,
                                      OutgoingResult& result) {
  const store::CertificateRecord& record = *signer.certificate;
  X509Ptr cert = certificate_of(trust, record);
  EvpPkeyPtr key = caches_->private_key(keys_(), *record.token_key_id);
  cms::SignatureRequest sign;
  sign.signer = cert.get();
  sign.key = key.get();
  sign.chain = trust.issuers_of(cert.get());
  sign.scheme = request.signature.value_or(policy_.signature);
  sign.detached = !request.opaque.value_or(policy_.opaque_signing);
  cms::Signature signature = cms::sign(entity, sign);
  result.signed_ = true;
  result.micalg = signature.micalg;
  result.signer = UsedCertificate{signer.address, record.sha256, record.subject};
  result.format = sign.detached ? "multipart/signed" : "signed-data";
  if (sign.detached) return mime::multipart_signed_frame(entity, signature.der, signature.micalg);
  entity = mime::compose_pkcs7_mime(signature.der, "signed-data");
  return {};
}

std::string Engine::encrypt_entity(std::string_view outer_headers, const mime::SignedFrame& frame,
                                   std::string entity,
                                   const std::vector<service::Selection>& recipients,
                                   const OutgoingRequest& request, const TrustSnapshot& trust,
                                   OutgoingResult& result) {
  std::vector<X509Ptr> owned;
  std::vector<X509*> certificates;
  std::vector<CipherRecipient> planned;
  for (const service::Selection& s : recipients) {
    owned.push_back(certificate_of(trust, *s.certificate));
    certificates.push_back(owned.back().get());
    planned.push_back({s.address, s.certificate->sha256, owned.back().get(),
                       s.certificate->token_key_id.has_value()});
  }
  const CipherChoice choice = choose_cipher(store_, planned, forced_algorithms(request));
  std::vector<KeyTransport> transports;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const service::Selection& s = recipients[i];
    UsedCertificate used{s.address, s.certificate->sha256, s.certificate->subject};
    describe_transport(choice.recipients[i], used);
    result.recipients.push_back(std::move(used));
    transports.push_back(choice.recipients[i].transport);
  }
  const bool aead = choice.cipher != ContentCipher::aes256_cbc;
  const std::string format = aead ? "authEnveloped-data" : "enveloped-data";

  // The message is written as the DER is produced: headers, then its base64 lines. The
  // entity's pages are handed back as they are encrypted, so the 25 MB entity and the 34 MB
  // answer are not both resident.
  std::string message = mime::join(outer_headers, mime::pkcs7_mime_header(format));
  mime::Base64LineWriter base64(message);
  const bool framed = !frame.head.empty();
  const std::size_t entity_part = framed ? 1 : 0;
  cms::DerOutput out;
  out.begin = [&message](std::size_t der) {
    message.reserve(message.size() + mime::base64_lines_size(der));
  };
  out.write = [&base64](std::span<const unsigned char> bytes) { base64.write(bytes); };
  out.consumed = [&entity, entity_part](std::size_t part, std::size_t end) {
    if (part == entity_part) release_pages(entity.data(), end);
  };
  std::vector<std::string_view> parts;
  if (framed)
    parts = {frame.head, entity, frame.tail};
  else
    parts = {entity};
  cms::encrypt_to(parts, certificates, choice.cipher, transports, out);
  base64.finish();
  discard(entity);
  result.cipher = std::string(to_string(choice.cipher));
  result.cipher_reason = choice.reason;
  result.encrypted = true;
  result.format = format;
  return message;
}

OutgoingResult Engine::outgoing(const OutgoingRequest& request) {
  std::string header;  // a taken-over message's header block (its buffer becomes the entity)
  mime::SplitMessage parts;
  if (request.take != nullptr) {
    std::string message = std::move(*request.take);
    header = mime::header_block(message);
    parts = mime::prepare_outgoing_in_place(std::move(message), limits_);
  } else {
    parts = mime::prepare_outgoing(request.message, limits_);
  }
  const mime::MessageAddresses addresses =
      outgoing_addresses(request.take != nullptr ? header : request.message, request, limits_);
  const auto group = resolve_group(caches_->groups, request.group, addresses.from);
  const std::string sender =
      group ? group->email : (addresses.from.empty() ? std::string{} : addresses.from.front());
  const Decision decision = decide(request, group);
  auto trust = caches_->trust.current();

  OutgoingResult result;
  result.decided_by = decision.decided_by;
  result.message_id = addresses.message_id;
  result.addresses = mime::all_addresses(addresses);

  std::optional<service::Selection> signer;
  if (decision.sign) {
    require_one_sender(addresses);
    signer = select_signer(certificates_, sender, decision);
  }
  std::vector<service::Selection> recipients;
  if (decision.encrypt) {
    const bool to_sender = request.encrypt_to_sender.value_or(policy_.encrypt_to_sender);
    recipients = select_recipients(certificates_, request, addresses, sender, decision, to_sender,
                                   result.not_encrypted_reason);
  }

  std::string entity = std::move(parts.content_entity);
  mime::SignedFrame frame;
  if (signer) frame = sign_entity(entity, *signer, request, *trust, result);
  if (!recipients.empty()) {
    result.message = encrypt_entity(parts.outer_headers, frame, std::move(entity), recipients,
                                    request, *trust, result);
    return result;
  }
  if (result.format.empty()) result.format = "unchanged";
  if (frame.head.empty()) {
    result.message = mime::join(parts.outer_headers, entity);
    return result;
  }
  result.message = mime::join(parts.outer_headers, frame.head);
  result.message.reserve(result.message.size() + entity.size() + frame.tail.size());
  result.message += entity;
  std::string().swap(entity);
  result.message += frame.tail;
  return result;
}

}  // namespace smime::engine
