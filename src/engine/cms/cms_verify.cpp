#include "cms_verify.hpp"

#include <openssl/err.h>

#include <algorithm>

#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/common/text.hpp"

namespace smime::engine::cms {
namespace {

std::string embedded_content(CMS_ContentInfo* cms) {
  ASN1_OCTET_STRING** content = CMS_get0_content(cms);
  if (content == nullptr || *content == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                     static_cast<std::size_t>(ASN1_STRING_length(*content)));
}

std::string hex_of(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return {};
  return to_hex(std::span<const unsigned char>(ASN1_STRING_get0_data(s),
                                               static_cast<std::size_t>(ASN1_STRING_length(s))));
}

SignerDetails details_of(X509* cert, const TrustSnapshot& trust) {
  const certs::CertificateDescription r = certs::describe_certificate(cert);
  SignerDetails d;
  d.fingerprint = r.sha256;
  d.subject = r.subject;
  d.issuer = r.issuer;
  d.serial = r.serial;
  d.emails = r.emails;
  // An emailAddress attribute in the subject also names the signer (older certificates).
  const X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, i)) {
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    const std::string email =
        ascii_lower(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                     static_cast<std::size_t>(ASN1_STRING_length(value))));
    if (std::find(d.emails.begin(), d.emails.end(), email) == d.emails.end()) {
      d.emails.push_back(email);
    }
  }
  d.not_before = r.not_before;
  d.not_after = r.not_after;
  d.stored = trust.by_fingerprint(r.sha256) != nullptr;
  return d;
}

// The identifiers of a signer whose certificate we do not have.
MissingItem missing_signer(CMS_SignerInfo* si) {
  ASN1_OCTET_STRING* key_id = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  MissingItem item;
  item.kind = "certificate";
  if (CMS_SignerInfo_get0_signer_id(si, &key_id, &issuer, &serial) == 1) {
    if (issuer != nullptr) item.issuer = certs::one_line_name(issuer);
    if (serial != nullptr) item.serial = certs::serial_hex(serial);
    item.subject_key_id = hex_of(key_id);
  }
  return item;
}

// The certificate that would let the chain reach an anchor: the issuer of the chain's top.
MissingItem missing_issuer(STACK_OF(X509) * chain) {
  X509* top = sk_X509_value(chain, sk_X509_num(chain) - 1);
  MissingItem item;
  item.kind = "certificate";
  item.subject = certs::one_line_name(X509_get_issuer_name(top));
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(top);
  item.subject_key_id = hex_of(aki);
  return item;
}

bool signer_matches_from(const SignerDetails& signer, const std::vector<std::string>& from) {
  for (const std::string& address : from) {
    if (std::find(signer.emails.begin(), signer.emails.end(), address) != signer.emails.end()) {
      return true;
    }
  }
  return false;
}

// The signature over the content (certificates are checked separately below).
bool signature_matches(CMS_ContentInfo* cms, std::optional<std::string_view> detached,
                       const TrustSnapshot& trust) {
  BioPtr content;
  if (detached) {
    content.reset(BIO_new_mem_buf(detached->data(), static_cast<int>(detached->size())));
  }
  BioPtr sink(BIO_new(BIO_s_mem()));
  const int flags = CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY;
  const bool ok = CMS_verify(cms, trust.all(), nullptr, content.get(), sink.get(), flags) == 1;
  if (!ok) drain_openssl_errors();
  return ok;
}

// The signer's chain to a stored anchor, without time checks: expiry is reported, not fatal.
// Fills `out` and returns false when there is none.
bool build_chain(CMS_ContentInfo* cms, X509* signer, const TrustSnapshot& trust,
                 X509StoreCtxPtr& ctx, Verification& out) {
  X509StackPtr embedded(CMS_get1_certs(cms));
  ctx.reset(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), trust.anchors(), signer, embedded.get()) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot build a certificate chain");
  }
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SMIME_SIGN);
  if (X509_verify_cert(ctx.get()) == 1) return true;
  const int error = X509_STORE_CTX_get_error(ctx.get());
  drain_openssl_errors();
  out.status = SignatureStatus::unknown_signer;
  out.reason = std::string("The signer's certificate is not trusted: ") +
               X509_verify_cert_error_string(error);
  if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get()); sk_X509_num(chain) > 0) {
    out.missing.push_back(missing_issuer(chain));
  }
  return false;
}

// Revocation by stored CRLs, the signer against From, then validity times: the final status.
void judge_chain(STACK_OF(X509) * chain, store::RevocationIndex& revocations,
                 const std::vector<std::string>& from, std::time_t now, Verification& out) {
  bool expired = false;
  bool not_yet_valid = false;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    X509* cert = sk_X509_value(chain, i);
    const std::string issuer = certs::one_line_name(X509_get_issuer_name(cert));
    if (auto revoked =
            revocations.revocation(issuer, certs::serial_hex(X509_get0_serialNumber(cert)))) {
      out.status = SignatureStatus::revoked;
      out.reason = i == 0 ? "The signer's certificate has been revoked"
                          : "A certificate in the signer's chain has been revoked";
      if (!revoked->reason.empty()) out.reason += " (" + revoked->reason + ")";
      return;
    }
    if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) expired = true;
    if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0) not_yet_valid = true;
  }
  if (!signer_matches_from(*out.signer, from)) {
    out.status = SignatureStatus::sender_mismatch;
    out.reason = "This message was not signed by its sender";
    return;
  }
  if (expired || not_yet_valid) {
    out.status = SignatureStatus::expired;
    out.reason = expired ? "The signature is intact, but the signer's certificate has expired"
                         : "The signature is intact, but the signer's certificate is not yet valid";
    return;
  }
  out.status = SignatureStatus::valid;
  out.reason = "The signature is valid";
}

}  // namespace

Verification verify(CMS_ContentInfo* cms, std::optional<std::string_view> detached,
                    const TrustSnapshot& trust, store::RevocationIndex& revocations,
                    const std::vector<std::string>& from, std::time_t now) {
  Verification out;
  if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
    throw Error(ErrorCode::invalid_input, "The signature part is not CMS signed data");
  }
  if (!detached) out.content = embedded_content(cms);
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
  if (sk_CMS_SignerInfo_num(infos) <= 0) {
    out.reason = "The signature has no signer";
    return out;
  }
  // Signer certificates: embedded ones first, then every stored certificate.
  CMS_set1_signers_certs(cms, trust.all(), 0);
  drain_openssl_errors();
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  X509* signer = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, &signer, nullptr, nullptr);
  if (signer == nullptr) {
    out.status = SignatureStatus::unknown_signer;
    out.reason = "The signer's certificate is neither in the message nor in the store";
    out.missing.push_back(missing_signer(si));
    return out;
  }
  out.signer = details_of(signer, trust);
  if (!signature_matches(cms, detached, trust)) {
    out.status = SignatureStatus::invalid;
    out.reason = "The signature does not match the content (the message was changed)";
    return out;
  }
  X509StoreCtxPtr ctx;
  if (!build_chain(cms, signer, trust, ctx, out)) return out;
  judge_chain(X509_STORE_CTX_get0_chain(ctx.get()), revocations, from, now, out);
  return out;
}

}  // namespace smime::engine::cms
