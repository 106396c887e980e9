// Incoming mail (SPEC §7): unwrap S/MIME layers in any order (Outlook puts signed-data inside
// enveloped-data), decrypt with whichever org key matches a RecipientInfo, verify each
// signature. Never throws for bad content: the original message and whatever could be
// unwrapped come back with the reasons and what we would need to succeed.
#include <spdlog/spdlog.h>

#include <ctime>

#include "cms/cms_operations.hpp"
#include "cms/cms_verify.hpp"
#include "cms/envelope.hpp"
#include "cms/recipient_key.hpp"
#include "engine_state.hpp"
#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine {
namespace {

// Deeper nesting than this is not produced by any client; stop instead of looping.
constexpr int kMaxLayers = 8;

void add_error(IncomingResult& result, std::string code, std::string message) {
  result.errors.push_back(ProcessingError{std::move(code), std::move(message)});
}

MissingItem missing_key(const cms::KeyRecipient& recipient) {
  MissingItem item;
  item.kind = "key";
  item.issuer = recipient.id.issuer_text();
  item.serial = recipient.id.serial_hex();
  item.subject_key_id = to_hex(recipient.id.subject_key_id);
  return item;
}

std::optional<std::string> decrypt(const cms::Envelope& envelope, const TrustSnapshot& trust,
                                   EngineState& state, KeyStore& keys, IncomingResult& result) {
  bool matched = false;
  for (const StoredCertificate& org : trust.certificates()) {
    if (!org.record.token_key_id) continue;
    for (const cms::KeyRecipient& recipient : envelope.recipients) {
      if (recipient.kind == cms::KeyRecipient::Kind::other ||
          !recipient.id.matches(org.certificate.get())) {
        continue;
      }
      matched = true;
      try {
        EvpPkeyPtr key = state.private_key(keys, *org.record.token_key_id);
        cms::OrgKey org_key{*org.record.token_key_id, key.get(), org.certificate.get()};
        SecureBytes cek = cms::recover_content_key(envelope, recipient, org_key, keys);
        std::string plain = cms::decrypt_content(envelope, cek);
        result.decryption_key = org.record.sha256;
        return plain;
      } catch (const Error& e) {
        if (e.code() == ErrorCode::unsupported) {
          add_error(result, "unsupported", e.what());
          return std::nullopt;
        }
        // Try the next matching key; report once below. The detail goes to the log only.
        spdlog::debug("decryption with {} failed: {}", org.record.sha256, e.detail());
      }
    }
  }
  if (!matched) {
    add_error(result, "no_key",
              "None of the organisation's keys in the token can decrypt this message");
    for (const cms::KeyRecipient& recipient : envelope.recipients) {
      if (recipient.kind != cms::KeyRecipient::Kind::other) {
        result.missing.push_back(missing_key(recipient));
      }
    }
  } else {
    add_error(result, "decrypt_failed", "The message could not be decrypted");
  }
  return std::nullopt;
}

}  // namespace

IncomingResult Engine::incoming(std::string_view message) {
  IncomingResult result;
  result.message = std::string(message);
  mime::SplitMessage parts;
  std::vector<std::string> from;
  try {
    parts = mime::split_incoming(message);
    const mime::MessageAddresses addresses = mime::parse_addresses(message);
    from = addresses.from;
    result.message_id = addresses.message_id;
    result.addresses = mime::all_addresses(addresses);
  } catch (const Error& e) {
    add_error(result, "not_mime", e.what());
    return result;
  }
  const std::time_t now = certificates_.now();
  auto trust = caches_->trust.current();
  std::string entity = parts.content_entity;
  bool unwrapped = false;

  for (int depth = 0; depth < kMaxLayers; ++depth) {
    mime::ClassifiedEntity classified;
    CmsPtr cms;
    try {
      classified = mime::classify(entity);
      if (classified.kind == mime::EntityKind::plain) break;
      if (classified.kind == mime::EntityKind::signature_only) {
        add_error(result, "bad_mime", "A detached signature without the content it signs");
        break;
      }
      cms = cms::parse(classified.cms_der);
    } catch (const Error& e) {
      add_error(result,
                e.code() == ErrorCode::invalid_input && !classified.cms_der.empty() ? "bad_cms"
                                                                                    : "bad_mime",
                e.what());
      break;
    }
    const int type = OBJ_obj2nid(CMS_get0_type(cms.get()));
    try {
      if (type == NID_pkcs7_signed) {
        const bool detached = classified.kind == mime::EntityKind::multipart_signed;
        result.layers.emplace_back(detached ? "multipart/signed" : "signed-data");
        std::optional<std::string_view> content;
        if (detached) content = classified.signed_content;
        cms::Verification v = cms::verify(cms.get(), content, *trust, store_, from, now);
        if (!result.signed_) {  // the outermost signature is the one reported
          result.signed_ = true;
          result.signature = v.status;
          result.signature_reason = v.reason;
          result.signer = v.signer;
          result.missing.insert(result.missing.end(), v.missing.begin(), v.missing.end());
        }
        std::string inner = detached ? classified.signed_content : std::move(v.content);
        if (inner.empty()) {
          add_error(result, "bad_cms", "The signed message has no content");
          break;
        }
        entity = std::move(inner);
        unwrapped = true;
        continue;
      }
      if (type == NID_pkcs7_enveloped || type == NID_id_smime_ct_authEnvelopedData) {
        result.layers.emplace_back(type == NID_pkcs7_enveloped ? "enveloped-data"
                                                               : "authEnveloped-data");
        result.encrypted = true;
        cms::Envelope envelope = cms::read_envelope(cms.get());
        std::optional<std::string> plain = decrypt(envelope, *trust, *caches_, keys_(), result);
        if (!plain) break;
        result.decrypted = true;
        entity = mime::canonicalize_line_endings(*plain);
        unwrapped = true;
        continue;
      }
      add_error(result, "unsupported",
                std::string("Unsupported S/MIME content type ") + OBJ_nid2sn(type));
    } catch (const Error& e) {
      add_error(result, e.code() == ErrorCode::unsupported ? "unsupported" : "bad_cms", e.what());
    }
    break;
  }
  if (unwrapped) result.message = mime::join(parts.outer_headers, entity);
  return result;
}

}  // namespace smime::engine
