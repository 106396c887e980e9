// Outgoing mail (SPEC §7): decide sign/encrypt (request, else group default), pick the signing
// certificate for the sender and one certificate per recipient, then sign the canonical
// content entity and encrypt the signed entity.
#include <algorithm>

#include "cms/cms_operations.hpp"
#include "engine_state.hpp"
#include "group_policy.hpp"
#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"
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

// The parsed certificate from the snapshot; parsed here only if it was stored meanwhile.
X509Ptr certificate_of(const TrustSnapshot& trust, const store::CertificateRecord& record) {
  if (const StoredCertificate* stored = trust.by_fingerprint(record.sha256)) {
    X509* cert = stored->certificate.get();
    if (X509_up_ref(cert) != 1) throw_openssl(ErrorCode::internal, "X509_up_ref");
    return X509Ptr(cert);
  }
  return certs::parse_der_certificate(record.der);
}

}  // namespace

OutgoingResult Engine::outgoing(const OutgoingRequest& request) {
  mime::SplitMessage parts = mime::prepare_outgoing(request.message);
  const mime::MessageAddresses addresses = mime::parse_addresses(request.message);
  const auto group = resolve_group(store_, request.group, addresses.from);
  const std::string sender =
      group ? group->email : (addresses.from.empty() ? std::string{} : addresses.from.front());
  Decision decision = decide(request, group);
  auto trust = caches_->trust.current();

  OutgoingResult result;
  result.decided_by = decision.decided_by;
  result.message_id = addresses.message_id;
  result.addresses = mime::all_addresses(addresses);

  std::optional<service::Selection> signer;
  if (decision.sign) {
    service::Selection selection = certificates_.signing_certificate(sender);
    if (selection.certificate) {
      signer = std::move(selection);
    } else if (decision.sign_required) {
      throw Error(ErrorCode::no_certificate, "Cannot sign: " + selection.reason);
    }
  }

  std::vector<service::Selection> recipients;
  if (decision.encrypt) {
    std::vector<std::string> to;
    add_unique(to, addresses.to);
    add_unique(to, addresses.cc);
    add_unique(to, addresses.bcc);
    add_unique(to, request.bcc);
    if (to.empty()) {
      if (decision.encrypt_required) {
        throw Error(ErrorCode::no_certificate, "Cannot encrypt: There was no recipient found");
      }
    } else {
      if (request.encrypt_to_sender.value_or(policy_.encrypt_to_sender) && !sender.empty())
        add_unique(to, {sender});
      recipients = certificates_.encryption_certificates(to);
      auto missing = std::find_if(recipients.begin(), recipients.end(),
                                  [](const service::Selection& s) { return !s.certificate; });
      if (missing != recipients.end()) {
        if (decision.encrypt_required) {
          throw Error(ErrorCode::no_certificate,
                      "Cannot encrypt to " + missing->address + ": " + missing->reason);
        }
        recipients.clear();  // "if possible": no partial encryption
      }
    }
  }

  std::string entity = std::move(parts.content_entity);
  if (signer) {
    const store::CertificateRecord& record = *signer->certificate;
    X509Ptr owned = certificate_of(*trust, record);
    X509* cert = owned.get();
    EvpPkeyPtr key = caches_->private_key(keys_(), *record.token_key_id);
    cms::SignatureRequest sign;
    sign.signer = cert;
    sign.key = key.get();
    sign.chain = trust->issuers_of(cert);
    sign.scheme = request.signature.value_or(policy_.signature);
    sign.detached = !request.opaque.value_or(policy_.opaque_signing);
    cms::Signature signature = cms::sign(entity, sign);
    if (sign.detached) {
      entity = mime::compose_multipart_signed(entity, signature.der, signature.micalg);
      result.format = "multipart/signed";
    } else {
      entity = mime::compose_pkcs7_mime(signature.der, "signed-data");
      result.format = "signed-data";
    }
    result.signed_ = true;
    result.micalg = signature.micalg;
    result.signer = UsedCertificate{signer->address, record.sha256, record.subject};
  }
  if (!recipients.empty()) {
    std::vector<X509Ptr> owned;
    std::vector<X509*> certificates;
    for (const service::Selection& s : recipients) {
      owned.push_back(certificate_of(*trust, *s.certificate));
      certificates.push_back(owned.back().get());
      result.recipients.push_back(
          UsedCertificate{s.address, s.certificate->sha256, s.certificate->subject});
    }
    const ContentCipher cipher = request.cipher.value_or(policy_.cipher);
    auto der =
        cms::encrypt(entity, certificates, cipher, request.transport.value_or(policy_.transport));
    const bool aead = cipher != ContentCipher::aes256_cbc;
    entity = mime::compose_pkcs7_mime(der, aead ? "authEnveloped-data" : "enveloped-data");
    result.encrypted = true;
    result.format = aead ? "authEnveloped-data" : "enveloped-data";
  }
  if (result.format.empty()) result.format = "unchanged";
  result.message = mime::join(parts.outer_headers, entity);
  return result;
}

}  // namespace smime::engine
