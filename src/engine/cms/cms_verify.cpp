#include "cms_verify.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <ctime>

#include "capabilities.hpp"
#include "path_validation.hpp"
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
  for (const std::string& email : certs::subject_emails(cert)) {
    if (std::find(d.emails.begin(), d.emails.end(), email) == d.emails.end()) {
      d.emails.push_back(email);
    }
  }
  d.not_before = r.not_before;
  d.not_after = r.not_after;
  d.stored = trust.by_fingerprint(r.sha256) != nullptr;
  unsigned char* raw = nullptr;
  const int length = i2d_X509(cert, &raw);
  if (length > 0) {
    d.der.assign(raw, raw + length);
    OPENSSL_free(raw);
  }
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

bool signer_matches_from(const SignerDetails& signer, const std::vector<std::string>& from) {
  for (const std::string& address : from) {
    if (std::find(signer.emails.begin(), signer.emails.end(), address) != signer.emails.end()) {
      return true;
    }
  }
  return false;
}

std::string algorithm_name(const X509_ALGOR* algorithm) {
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  if (oid == nullptr) return "(none)";
  const int nid = OBJ_obj2nid(oid);
  if (nid != NID_undef) return OBJ_nid2sn(nid);
  char dotted[128] = {};
  OBJ_obj2txt(dotted, sizeof dotted, oid, 1);
  return dotted;
}

bool supported_key_type(int nid) {
  return nid == NID_rsaEncryption || nid == NID_rsassaPss || nid == NID_X9_62_id_ecPublicKey;
}

// RSA (PKCS#1 v1.5, PSS) and ECDSA over SHA-1 or SHA-2; DSA and unknown OIDs are named as
// unsupported, SHA-1 as weak.
SignatureCheck check_algorithm(CMS_SignerInfo* si, X509* signer) {
  X509_ALGOR* digest = nullptr;
  X509_ALGOR* signature = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, &signature);
  SignatureCheck check;
  const std::string digest_name = algorithm_name(digest);
  const std::string signature_name = algorithm_name(signature);
  check.name = signature_name + " with " + digest_name;
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, signature);
  const int signature_nid = oid != nullptr ? OBJ_obj2nid(oid) : NID_undef;
  int key_nid = signature_nid;
  int hash_nid = NID_undef;
  if (signature_nid != NID_undef && OBJ_find_sigid_algs(signature_nid, &hash_nid, &key_nid) != 1) {
    key_nid = signature_nid;  // a key algorithm used as signature algorithm (rsaEncryption)
  }
  // No key when it cannot be decoded on its own (a DSA key inheriting its issuer's parameters).
  const EVP_PKEY* signer_public = X509_get0_pubkey(signer);
  const int signer_key = signer_public != nullptr ? EVP_PKEY_get_base_id(signer_public) : NID_undef;
  const int signer_key_nid = signer_key == EVP_PKEY_RSA       ? NID_rsaEncryption
                             : signer_key == EVP_PKEY_RSA_PSS ? NID_rsassaPss
                             : signer_key == EVP_PKEY_EC      ? NID_X9_62_id_ecPublicKey
                                                              : NID_undef;
  X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
  const int digest_nid = oid != nullptr ? OBJ_obj2nid(oid) : NID_undef;
  const bool known_digest = digest_nid == NID_sha1 || digest_nid == NID_sha224 ||
                            digest_nid == NID_sha256 || digest_nid == NID_sha384 ||
                            digest_nid == NID_sha512;
  if (!supported_key_type(key_nid) || signer_key_nid == NID_undef || !known_digest) {
    check.status = "unsupported";
    check.reason = "Unsupported signature algorithm " + check.name +
                   " (RSA, RSA-PSS and ECDSA with SHA-1 or SHA-2 are verified)";
    return check;
  }
  if (digest_nid == NID_sha1 || hash_nid == NID_sha1) {
    check.status = "weak";
    check.reason = "The signature uses SHA-1, which is no longer considered secure";
    return check;
  }
  check.status = "ok";
  check.reason = "The signature algorithm is " + check.name;
  return check;
}

// The signingTime signed attribute (RFC 5652 §11.3), as the signer claims it; nullopt when the
// signature has none, several, or one that is not a valid UTCTime/GeneralizedTime.
std::optional<std::time_t> claimed_signing_time(CMS_SignerInfo* si) {
  const int index = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (index < 0 || CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, index) >= 0) {
    return std::nullopt;
  }
  X509_ATTRIBUTE* attribute = CMS_signed_get_attr(si, index);
  if (attribute == nullptr || X509_ATTRIBUTE_count(attribute) != 1) return std::nullopt;
  const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attribute, 0);
  if (value == nullptr ||
      (value->type != V_ASN1_UTCTIME && value->type != V_ASN1_GENERALIZEDTIME)) {
    return std::nullopt;
  }
  std::tm parts{};
  if (ASN1_TIME_to_tm(value->value.utctime, &parts) != 1) {
    drain_openssl_errors();
    return std::nullopt;
  }
  return timegm(&parts);
}

// [verification] leaf_validity = "signing_time": an expired signer's certificate judged at the
// signing time the signature claims (CAs stay judged now, by validate_path).
void judge_leaf_at_signing_time(CMS_SignerInfo* si, X509* signer, Verification& out) {
  if (out.checks.validity.status != "expired") return;
  const std::optional<std::time_t> signing_time = claimed_signing_time(si);
  if (!signing_time) {
    out.checks.validity.reason += " (the signature claims no signing time)";
    return;
  }
  out.checks.validity = leaf_validity_at_signing_time(signer, *signing_time);
  if (out.checks.validity.status == "valid") out.warnings.push_back("expired_since_signing");
}

// The signature over the content (certificates are checked separately).
bool signature_matches(CMS_ContentInfo* cms, std::optional<std::string_view> detached,
                       const TrustSnapshot& trust) {
  BioPtr content;
  if (detached) {
    content.reset(BIO_new_mem_buf(detached->data(), static_cast<int>(detached->size())));
  }
  const int flags = CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY;
  // No output BIO: OpenSSL reads the content through a null sink (a memory BIO would hold a
  // copy of the whole content, grown by copying).
  const bool ok = CMS_verify(cms, trust.all(), nullptr, content.get(), nullptr, flags) == 1;
  if (!ok) drain_openssl_errors();
  return ok;
}

// Where a refusing setting comes from: the group's own, or the appliance's configuration.
std::string policy_source(const std::string& group, const std::string& setting) {
  if (group.empty()) return "[verification] " + setting;
  return "group " + group + ": " + setting;
}

void conclude(Verification& out, SignatureStatus status, std::string reason) {
  out.status = status;
  out.reason = std::move(reason);
}

// The overall status from the checks, most serious first: a broken signature, an unsupported
// or refused algorithm, a chain that does not reach an anchor or is broken, revocation, and
// only then the sender and the signer's own expiry.
void judge(Verification& out) {
  const SignatureChecks& c = out.checks;
  if (c.algorithm.status == "unsupported")
    return conclude(out, SignatureStatus::invalid, c.algorithm.reason);
  if (c.integrity.status == "invalid")
    return conclude(out, SignatureStatus::invalid, c.integrity.reason);
  if (c.algorithm.status == "weak" && out.reject_weak) {
    return conclude(out, SignatureStatus::invalid,
                    c.algorithm.reason + "; SHA-1 signatures are refused (" +
                        policy_source(out.sha1_group, "reject_sha1 = true") + ")");
  }
  if (c.chain.status == "unknown_issuer")
    return conclude(out, SignatureStatus::unknown_signer, c.chain.reason);
  if (c.chain.status == "invalid") return conclude(out, SignatureStatus::invalid, c.chain.reason);
  if (c.revocation.status == "revoked")
    return conclude(out, SignatureStatus::revoked, c.revocation.reason);
  if (c.revocation.status == "unknown" && out.revocation_hard) {
    return conclude(out, SignatureStatus::invalid,
                    c.revocation.reason + "; the policy needs a known revocation status (" +
                        policy_source(out.revocation_group, "revocation = \"hard\"") + ")");
  }
  if (c.sender_match.status == "mismatch") {
    return conclude(out, SignatureStatus::sender_mismatch,
                    "This message was not signed by its sender");
  }
  if (c.validity.status == "expired") {
    return conclude(out, SignatureStatus::expired,
                    "The signature is intact, but the signer's certificate has expired");
  }
  if (c.validity.status == "not_yet_valid") {
    return conclude(out, SignatureStatus::expired,
                    "The signature is intact, but the signer's certificate is not yet valid");
  }
  conclude(out, SignatureStatus::valid, "The signature is valid");
}

}  // namespace

Verification verify(CMS_ContentInfo* cms, std::optional<std::string_view> detached,
                    const TrustSnapshot& trust, store::RevocationIndex& revocations,
                    const std::vector<std::string>& from, std::time_t now,
                    const VerificationPolicy& policy, revocation::OnlineRevocation* online) {
  Verification out;
  out.reject_weak = policy.reject_sha1;
  out.revocation_hard = policy.revocation_hard;
  out.sha1_group = policy.sha1_group;
  out.revocation_group = policy.revocation_group;
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
    out.checks.chain = check("unknown_issuer", out.reason);
    out.missing.push_back(missing_signer(si));
    return out;
  }
  out.signer = details_of(signer, trust);
  out.checks.algorithm = check_algorithm(si, signer);
  if (out.checks.algorithm.status == "weak") out.warnings.push_back("weak_algorithm");
  if (out.checks.algorithm.status != "unsupported") {
    const bool intact = signature_matches(cms, detached, trust);
    out.checks.integrity =
        intact ? check("valid", "The signature matches the content")
               : check("invalid",
                       "The signature does not match the content (the message was changed)");
  }
  if (out.checks.integrity.status == "valid") {
    X509StackPtr embedded(CMS_get1_certs(cms));
    X509CrlStackPtr carried(CMS_get1_crls(cms));
    PathResult path =
        validate_path(signer, embedded.get(), carried.get(), trust, revocations, online, now);
    out.checks.chain = std::move(path.chain);
    out.checks.revocation = std::move(path.revocation);
    out.checks.validity = std::move(path.validity);
    if (policy.leaf_at_signing_time) judge_leaf_at_signing_time(si, signer, out);
    if (path.missing) out.missing.push_back(*path.missing);
    if (out.checks.chain.status == "valid") {
      // What the signer announces counts only from a signature that verified.
      out.signer->unstored_intermediates = std::move(path.unstored_intermediates);
      out.signer->capabilities = signed_capabilities(si);
      out.signer->signing_time = std::min<std::int64_t>(signing_time(si), now);
    }
    if (out.checks.revocation.status == "unknown") out.warnings.push_back("revocation_unknown");
  }
  const bool matches = signer_matches_from(*out.signer, from);
  out.checks.sender_match =
      matches ? check("match", "The signer's address is From")
              : check("mismatch", "No address of the signer's certificate is From");
  judge(out);
  return out;
}

}  // namespace smime::engine::cms
