// Incoming mail (SPEC §7): unwrap S/MIME layers in any order (Outlook puts signed-data inside
// enveloped-data), decrypt with whichever org key matches a RecipientInfo, verify each
// signature. Never throws for bad content: the original message and whatever could be
// unwrapped come back with the reasons and what we would need to succeed.
#include <p11-kit/pkcs11.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <optional>
#include <set>

#include "cms/cms_operations.hpp"
#include "cms/cms_verify.hpp"
#include "cms/envelope.hpp"
#include "cms/recipient_key.hpp"
#include "engine_state.hpp"
#include "group_policy.hpp"
#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine {
namespace {

// Decrypted content with no header fields at all (what `openssl cms -encrypt` makes of a bare
// text file, e.g. Thunderbird's fran-* test messages) starts with its body. RFC 2045 makes an
// entity without Content-Type text/plain in US-ASCII; that header is given to the parser.
std::string with_header_block(std::string entity) {
  std::string_view first = std::string_view(entity).substr(0, entity.find('\n'));
  if (first.ends_with('\r')) first.remove_suffix(1);
  const std::size_t colon = first.find(':');
  const bool header_field = colon != std::string_view::npos && colon > 0 &&
                            first.substr(0, colon).find_first_of(" \t") == std::string_view::npos;
  if (entity.empty() || header_field) return entity;
  // An empty first line already ends the (empty) header block.
  entity.insert(0, first.empty() ? "Content-Type: text/plain; charset=us-ascii"
                                 : "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
  return entity;
}

void add_error(IncomingResult& result, std::string code, std::string message) {
  result.errors.push_back(ProcessingError{std::move(code), std::move(message)});
}

// The result's code for an Error thrown while reading content.
std::string content_error_code(const Error& e, std::string_view otherwise) {
  if (e.code() == ErrorCode::limit_exceeded) return "limit_exceeded";
  if (e.code() == ErrorCode::unsupported) return "unsupported";
  return std::string(otherwise);
}

MissingItem missing_key(const cms::KeyRecipient& recipient) {
  MissingItem item;
  item.kind = "key";
  item.issuer = recipient.id.issuer_text();
  item.serial = recipient.id.serial_hex();
  item.subject_key_id = to_hex(recipient.id.subject_key_id);
  return item;
}

// An enveloped layer's decoded body and the envelope read from it (which may point into it).
struct LayerEnvelope {
  std::vector<unsigned char> der;
  cms::Envelope envelope;
};

// One received message taken apart layer by layer.
class IncomingProcessing {
 public:
  IncomingProcessing(store::Store& store, const TrustSnapshot& trust, EngineState& state,
                     const service::CertificateService::KeyStoreAccess& keys, const Limits& limits,
                     const VerificationPolicy& policy, std::time_t now)
      : store_(store),
        trust_(trust),
        state_(state),
        keys_(keys),
        limits_(limits),
        policy_(policy),
        now_(now) {}

  IncomingResult run(std::string message) {
    if (!read_addresses(message)) {
      result_.message = std::move(message);
      return std::move(result_);
    }
    // The message's own buffer becomes the entity: a large message is not held twice.
    mime::IncomingSplit split = mime::split_incoming_in_place(std::move(message));
    std::string& entity = split.parts.content_entity;
    bool unwrapped = false;
    for (std::size_t layer = 0; unwrap_layer(entity, layer); ++layer) unwrapped = true;
    // In place either way: the unwrapped entity's buffer becomes the message, or the untouched
    // entity is given back its original header block.
    result_.message = unwrapped ? mime::join_in_place(split.parts.outer_headers, std::move(entity))
                                : mime::restore_incoming(std::move(split));
    return std::move(result_);
  }

 private:
  // The header's addresses; false (with the error) when it is not a message.
  bool read_addresses(std::string_view message) {
    try {
      (void)mime::header_block(message);  // Error(invalid_input) when it is not a message
      const mime::MessageAddresses addresses = mime::parse_addresses(message, limits_.addresses);
      result_.message_id = addresses.message_id;
      result_.addresses = mime::all_addresses(addresses);
      // The groups the message is addressed to (To, Cc) may have a stricter policy.
      std::vector<std::string> recipients = addresses.to;
      recipients.insert(recipients.end(), addresses.cc.begin(), addresses.cc.end());
      policy_ = incoming_policy(state_.groups, policy_, recipients);
      if (addresses.from_fields > 1) {
        // Which From would the signer have to match? None: the signature cannot vouch for it.
        add_error(result_, "bad_mime",
                  "The message has " + std::to_string(addresses.from_fields) +
                      " From header fields; RFC 5322 allows one");
      } else {
        from_ = addresses.from;
      }
      return true;
    } catch (const Error& e) {
      add_error(result_, content_error_code(e, "not_mime"), e.what());
      return false;
    }
  }

  // Unwraps one S/MIME layer of `entity`; false when there is nothing (more) to unwrap.
  bool unwrap_layer(std::string& entity, std::size_t layer) {
    mime::ClassifiedEntity classified;
    mime::ReleasedBase64 released;  // the entity's lines whose pages were handed back
    CmsPtr cms;
    int type = NID_undef;
    try {
      classified =
          mime::classify(entity, limits_, mime::SignedContent::in_entity, mime::Pkcs7Body::located);
      if (classified.kind == mime::EntityKind::plain) return false;
      if (classified.kind == mime::EntityKind::signature_only) {
        add_error(result_, "bad_mime", "A detached signature without the content it signs");
        return false;
      }
      if (layer == limits_.smime_layers) {
        add_error(result_, "limit_exceeded",
                  limit_message("The number of nested S/MIME layers", limits_.smime_layers,
                                "smime_layers") +
                      "; the message returned is still wrapped");
        return false;
      }
      // A large body is not resident twice: its base64 lines go as they are decoded, and are
      // written back from the DER when this layer is not unwrapped.
      released = mime::decode_located_body(entity, classified);
      // Enveloped DER is read where it is (OpenSSL's parse would copy the content twice more);
      // everything else, and BER, is parsed by OpenSSL.
      type = cms::der_content_type(classified.cms_der);
      if (type != NID_pkcs7_enveloped && type != NID_id_smime_ct_authEnvelopedData) {
        cms = cms::parse(classified.cms_der);
        type = OBJ_obj2nid(CMS_get0_type(cms.get()));
      }
    } catch (const Error& e) {
      mime::restore_base64(entity, released, classified.cms_der);
      const bool cms_error = e.code() == ErrorCode::invalid_input && !classified.cms_der.empty();
      add_error(result_, content_error_code(e, cms_error ? "bad_cms" : "bad_mime"), e.what());
      return false;
    }
    try {
      if (type == NID_pkcs7_signed) {
        if (verify_layer(classified, cms.get(), entity)) return true;
      } else if (type == NID_pkcs7_enveloped || type == NID_id_smime_ct_authEnvelopedData) {
        cms::Envelope envelope =
            cms ? cms::read_envelope(cms.get(), limits_.recipient_infos)
                : cms::read_envelope_der(classified.cms_der, limits_.recipient_infos);
        cms.reset();
        LayerEnvelope layer_envelope{std::move(classified.cms_der), std::move(envelope)};
        return decrypt_layer(layer_envelope, type, entity, released);
      } else {
        add_error(result_, "unsupported",
                  std::string("Unsupported S/MIME content type ") + OBJ_nid2sn(type));
      }
    } catch (const Error& e) {
      if (is_token_unavailable(e)) throw;  // decrypt_layer wrote the lines back
      add_error(result_, content_error_code(e, "bad_cms"), e.what());
    }
    // Not unwrapped: the entity is given back as it came (an enveloped layer's DER has moved
    // into decrypt_layer, which writes its lines back itself, before the envelope is read).
    if (!classified.cms_der.empty()) mime::restore_base64(entity, released, classified.cms_der);
    return false;
  }

  bool verify_layer(mime::ClassifiedEntity& classified, CMS_ContentInfo* cms, std::string& entity) {
    const bool detached = classified.kind == mime::EntityKind::multipart_signed;
    result_.layers.emplace_back(detached ? "multipart/signed" : "signed-data");
    std::optional<std::string_view> content;
    if (detached) {
      content = classified.signed_in_entity
                    ? std::string_view(entity).substr(
                          classified.signed_begin, classified.signed_end - classified.signed_begin)
                    : std::string_view(classified.signed_content);
    }
    cms::Verification v =
        cms::verify(cms, content, trust_, store_, from_, now_, policy_, state_.online.get());
    result_.signatures.push_back(
        {result_.layers.back(), v.status, v.reason, v.signer, v.checks, v.warnings});
    if (!result_.signed_) {  // the outermost signature is the one reported
      result_.signed_ = true;
      result_.signature = v.status;
      result_.signature_reason = v.reason;
      result_.signer = v.signer;
      result_.missing.insert(result_.missing.end(), v.missing.begin(), v.missing.end());
    }
    if (detached && classified.signed_in_entity) {
      if (content->empty()) {
        add_error(result_, "bad_cms", "The signed message has no content");
        return false;
      }
      // The first part cut out of the entity in place (no copy of a large part).
      entity.erase(classified.signed_end);
      entity.erase(0, classified.signed_begin);
      return true;
    }
    std::string inner = detached ? std::move(classified.signed_content) : std::move(v.content);
    if (inner.empty()) {
      add_error(result_, "bad_cms", "The signed message has no content");
      return false;
    }
    entity = std::move(inner);
    return true;
  }

  // The decrypted layer replaces `entity`. The DER's ciphertext is handed back as it is
  // decrypted, and written back when decryption fails (decrypt_content): from it the next key is
  // tried, and the entity's released lines are written back when the layer stays.
  bool decrypt_layer(LayerEnvelope& layer, int type, std::string& entity,
                     const mime::ReleasedBase64& released) {
    result_.layers.emplace_back(type == NID_pkcs7_enveloped ? "enveloped-data"
                                                            : "authEnveloped-data");
    result_.encrypted = true;
    std::optional<std::string> plain;
    try {
      plain = decrypt(layer);
    } catch (...) {
      mime::restore_base64(entity, released, layer.der);
      throw;
    }
    if (!plain) mime::restore_base64(entity, released, layer.der);
    layer = {};
    if (!plain) return false;
    result_.decrypted = true;
    entity = mime::canonicalize_entity(with_header_block(std::move(*plain)));
    return true;
  }

  // Each org key is tried at most once per message, with the first RecipientInfo that names
  // one of its certificates: thousands of RecipientInfos for the same key would otherwise be
  // as many token operations.
  std::optional<std::string> decrypt(LayerEnvelope& layer) {
    bool matched = false;
    std::vector<std::pair<const StoredCertificate*, std::size_t>> candidates;  // recipient index
    std::set<std::string> listed;                                              // CKA_IDs
    for (const StoredCertificate& org : trust_.certificates()) {
      if (!org.record.token_key_id) continue;
      const std::optional<std::size_t> recipient =
          recipient_for(layer.envelope, org.certificate.get());
      if (!recipient) continue;
      matched = true;
      if (tried_keys_.contains(*org.record.token_key_id)) continue;
      if (listed.insert(*org.record.token_key_id).second) candidates.emplace_back(&org, *recipient);
    }
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      const StoredCertificate& org = *candidates[i].first;
      tried_keys_.insert(*org.record.token_key_id);
      try {
        KeyStore& keys = keys_();
        EvpPkeyPtr key = state_.private_key(keys, *org.record.token_key_id);
        cms::OrgKey org_key{*org.record.token_key_id, key.get(), org.certificate.get()};
        const cms::KeyRecipient& recipient = layer.envelope.recipients.at(candidates[i].second);
        SecureBytes cek = cms::recover_content_key(layer.envelope, recipient, org_key, keys);
        std::string plain = cms::decrypt_content(layer.envelope, cek, /*release=*/true);
        result_.decryption_key = org.record.sha256;
        return plain;
      } catch (const Error& e) {
        if (is_token_unavailable(e)) throw;  // the token is gone or failing: 503, try later
        if (e.code() == ErrorCode::unsupported || e.ckr() == CKR_MECHANISM_INVALID) {
          add_error(result_, "unsupported", e.what());
          return std::nullopt;
        }
        // Try the next key; report once below. The detail goes to the log only.
        spdlog::debug("decryption with {} failed: {}", org.record.sha256, e.detail());
      }
    }
    if (matched) {
      add_error(result_, "decrypt_failed", "The message could not be decrypted");
      return std::nullopt;
    }
    add_error(result_, "no_key",
              "None of the organisation's keys in the token can decrypt this message");
    for (const cms::KeyRecipient& recipient : layer.envelope.recipients) {
      if (recipient.kind != cms::KeyRecipient::Kind::other) {
        result_.missing.push_back(missing_key(recipient));
      }
    }
    return std::nullopt;
  }

  static std::optional<std::size_t> recipient_for(const cms::Envelope& envelope, const X509* cert) {
    for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
      const cms::KeyRecipient& recipient = envelope.recipients[i];
      if (recipient.kind != cms::KeyRecipient::Kind::other && recipient.id.matches(cert)) return i;
    }
    return std::nullopt;
  }

  store::Store& store_;
  const TrustSnapshot& trust_;
  EngineState& state_;
  const service::CertificateService::KeyStoreAccess& keys_;
  const Limits& limits_;
  VerificationPolicy policy_;  // the appliance's, then with the addressed groups' settings
  const std::time_t now_;
  IncomingResult result_;
  std::vector<std::string> from_;
  std::set<std::string> tried_keys_;  // CKA_IDs
};

}  // namespace

IncomingResult Engine::incoming(std::string message) {
  auto trust = caches_->trust.current();
  IncomingProcessing processing(store_, *trust, *caches_, keys_, limits_, policy_.verification,
                                certificates_.now());
  return processing.run(std::move(message));
}

}  // namespace smime::engine
