#include "path_validation.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <map>

#include "smime/certs/certificate_info.hpp"
#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"

namespace smime::engine::cms {
namespace {

// A STACK_OF(X509) / STACK_OF(X509_CRL) that borrows its members (they belong to the trust
// snapshot or the CMS structure).
struct BorrowedCertsFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_free(stack); }
};
using BorrowedCerts = std::unique_ptr<STACK_OF(X509), BorrowedCertsFree>;
struct BorrowedCrlsFree {
  void operator()(STACK_OF(X509_CRL) * stack) const noexcept { sk_X509_CRL_free(stack); }
};
using BorrowedCrls = std::unique_ptr<STACK_OF(X509_CRL), BorrowedCrlsFree>;

BorrowedCerts chain_material(STACK_OF(X509) * message_certs, STACK_OF(X509) * stored) {
  BorrowedCerts all(sk_X509_new_null());
  if (!all) throw_openssl(ErrorCode::internal, "Out of memory");
  for (STACK_OF(X509) * from : {message_certs, stored}) {
    for (int i = 0; i < sk_X509_num(from); ++i) {
      if (sk_X509_push(all.get(), sk_X509_value(from, i)) <= 0) {
        throw_openssl(ErrorCode::internal, "Out of memory");
      }
    }
  }
  return all;
}

BorrowedCrls crl_material(STACK_OF(X509_CRL) * message_crls, STACK_OF(X509_CRL) * stored) {
  BorrowedCrls all(sk_X509_CRL_new_null());
  if (!all) throw_openssl(ErrorCode::internal, "Out of memory");
  for (STACK_OF(X509_CRL) * from : {message_crls, stored}) {
    for (int i = 0; i < sk_X509_CRL_num(from); ++i) {
      if (sk_X509_CRL_push(all.get(), sk_X509_CRL_value(from, i)) <= 0) {
        throw_openssl(ErrorCode::internal, "Out of memory");
      }
    }
  }
  return all;
}

// What the verify callback noticed; reached through the context's app data.
struct Observed {
  bool revocation_pass = false;
  int signer_time_error = X509_V_OK;     // the signer's own expiry: reported, not fatal
  std::map<int, int> revocation_errors;  // by depth, the first: revoked or a CRL problem
};

bool is_crl_problem(int error) {
  switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
      return true;
    default:
      return false;
  }
}

bool self_signed(X509* cert) {
  ERR_set_mark();
  const bool yes = X509_check_issued(cert, cert) == X509_V_OK;
  ERR_pop_to_mark();
  return yes;
}

int verify_callback(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) return ok;
  auto* seen = static_cast<Observed*>(X509_STORE_CTX_get_app_data(ctx));
  if (seen == nullptr) return ok;
  const int error = X509_STORE_CTX_get_error(ctx);
  const int depth = X509_STORE_CTX_get_error_depth(ctx);
  if (depth == 0 &&
      (error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID)) {
    if (seen->signer_time_error == X509_V_OK) seen->signer_time_error = error;
    return 1;
  }
  if (!seen->revocation_pass) return ok;
  if (error == X509_V_ERR_CERT_REVOKED) {
    seen->revocation_errors.emplace(depth, error);
    return 1;
  }
  if (is_crl_problem(error)) {
    // A self-signed anchor has no issuer to revoke it.
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
    const int top = sk_X509_num(chain) - 1;
    const bool root = depth == top && self_signed(sk_X509_value(chain, top));
    if (!root) seen->revocation_errors.emplace(depth, error);
    return 1;
  }
  return ok;
}

struct Context {
  X509StoreCtxPtr ctx;
  Observed seen;
};

void start(Context& c, X509* signer, const TrustSnapshot& trust, STACK_OF(X509) * untrusted,
           std::time_t now, unsigned long flags) {
  c.ctx.reset(X509_STORE_CTX_new());
  if (!c.ctx || X509_STORE_CTX_init(c.ctx.get(), trust.anchors(), signer, untrusted) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot build a certificate chain");
  }
  // Partial chains: a trusted intermediate is an anchor when the administrator made it one.
  X509_STORE_CTX_set_flags(c.ctx.get(), X509_V_FLAG_PARTIAL_CHAIN | flags);
  X509_STORE_CTX_set_time(c.ctx.get(), 0, now);
  X509_STORE_CTX_set_purpose(c.ctx.get(), X509_PURPOSE_SMIME_SIGN);
  X509_STORE_CTX_set_verify_cb(c.ctx.get(), verify_callback);
  X509_STORE_CTX_set_app_data(c.ctx.get(), &c.seen);
}

std::string hex_of(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return {};
  return to_hex(std::span<const unsigned char>(ASN1_STRING_get0_data(s),
                                               static_cast<std::size_t>(ASN1_STRING_length(s))));
}

bool missing_issuer_error(int error) {
  return error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
         error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
         error == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
         error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

std::string subject_of(X509* cert) {
  return cert == nullptr ? std::string() : certs::one_line_name(X509_get_subject_name(cert));
}

// The chain failed: which certificate, and why, in words that name it.
void describe_chain_failure(X509_STORE_CTX* ctx, PathResult& out) {
  const int error = X509_STORE_CTX_get_error(ctx);
  const int depth = X509_STORE_CTX_get_error_depth(ctx);
  X509* at = X509_STORE_CTX_get_current_cert(ctx);
  const std::string text = X509_verify_cert_error_string(error);
  if (missing_issuer_error(error)) {
    out.chain.status = "unknown_issuer";
    out.chain.reason = "The signer's certificate is not trusted: " + text;
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
    if (sk_X509_num(chain) > 0) {
      X509* top = sk_X509_value(chain, sk_X509_num(chain) - 1);
      MissingItem item;
      item.kind = "certificate";
      item.subject = certs::one_line_name(X509_get_issuer_name(top));
      item.subject_key_id = hex_of(X509_get0_authority_key_id(top));
      out.missing = item;
      out.chain.certificate = subject_of(top);
    }
    return;
  }
  out.chain.status = "invalid";
  out.chain.certificate = subject_of(at);
  const std::string who =
      depth == 0 ? "The signer's certificate" : "The CA certificate " + out.chain.certificate;
  if (error == X509_V_ERR_CERT_HAS_EXPIRED) {
    out.chain.reason = who + " in the signer's chain has expired";
  } else if (error == X509_V_ERR_CERT_NOT_YET_VALID) {
    out.chain.reason = who + " in the signer's chain is not yet valid";
  } else {
    out.chain.reason = "The signer's certificate chain is not valid: " + text + " (" + who + ")";
  }
}

std::vector<std::vector<unsigned char>> unstored_above_signer(STACK_OF(X509) * chain,
                                                              const TrustSnapshot& trust) {
  std::vector<std::vector<unsigned char>> out;
  for (int i = 1; i < sk_X509_num(chain) && out.size() < kMaxUnstoredIntermediates; ++i) {
    X509* cert = sk_X509_value(chain, i);
    if (trust.by_fingerprint(certs::sha256_fingerprint(cert)) != nullptr) continue;
    unsigned char* raw = nullptr;
    const int length = i2d_X509(cert, &raw);
    if (length <= 0) throw_openssl(ErrorCode::internal, "Cannot encode a chain certificate");
    OpensslBytesPtr owner(raw);
    out.emplace_back(raw, raw + length);
  }
  return out;
}

// Whether any CRL names the issuer of a certificate of the chain.
bool crls_cover(STACK_OF(X509) * chain, STACK_OF(X509_CRL) * crls) {
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    const X509_NAME* issuer = X509_get_issuer_name(sk_X509_value(chain, i));
    for (int j = 0; j < sk_X509_CRL_num(crls); ++j) {
      if (X509_NAME_cmp(issuer, X509_CRL_get_issuer(sk_X509_CRL_value(crls, j))) == 0) return true;
    }
  }
  return false;
}

bool all_answered(const OnlineResults& asked) {
  for (const auto& answer : asked.ocsp) {
    if (answer.status == revocation::OcspAnswer::Status::none) return false;
  }
  return true;
}

// OpenSSL's CRL pass over the chain: every certificate's revocation by the CRLs.
CrlFindings crl_pass(X509* signer, const TrustSnapshot& trust, STACK_OF(X509) * untrusted,
                     STACK_OF(X509_CRL) * crls, std::time_t now) {
  CrlFindings findings;
  findings.ran = true;
  Context revocation;
  revocation.seen.revocation_pass = true;
  // Extended CRL support: indirect CRLs (cRLIssuer), CRLs signed with a key other than the
  // certificate's issuer's, reason-partitioned CRLs; deltas: a delta CRL applies over its base.
  start(revocation, signer, trust, untrusted, now,
        X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_EXTENDED_CRL_SUPPORT |
            X509_V_FLAG_USE_DELTAS);
  X509_STORE_CTX_set0_crls(revocation.ctx.get(), crls);
  const bool checked = X509_verify_cert(revocation.ctx.get()) == 1;
  drain_openssl_errors();
  if (!checked) {  // the callback lets every revocation answer through: this is something else
    findings.failure =
        std::string("the revocation check failed: ") +
        X509_verify_cert_error_string(X509_STORE_CTX_get_error(revocation.ctx.get()));
    return findings;
  }
  findings.errors = std::move(revocation.seen.revocation_errors);
  return findings;
}

}  // namespace

SignatureCheck leaf_validity_at_signing_time(X509* signer, std::time_t signing_time) {
  const std::string when = format_utc(signing_time, "%Y-%m-%d %H:%M:%S UTC");
  // X509_cmp_time: -1 when the certificate's time is before signing_time, 0 on a bad time.
  const int after_start = X509_cmp_time(X509_get0_notBefore(signer), &signing_time);
  const int before_end = X509_cmp_time(X509_get0_notAfter(signer), &signing_time);
  if (after_start == -1 && before_end == 1) {
    return check("valid",
                 "The signer's certificate was valid at the signing time the signer claims (" +
                     when +
                     ") and has expired since; the signing time is the signer's own claim, "
                     "not proven by a time-stamp");
  }
  return check("expired",
               "The signer's certificate has expired, and was not valid at the signing time the "
               "signer claims (" +
                   when + ")",
               subject_of(signer));
}

PathResult validate_path(X509* signer, STACK_OF(X509) * message_certs,
                         STACK_OF(X509_CRL) * message_crls, const TrustSnapshot& trust,
                         store::RevocationIndex& revocations, revocation::OnlineRevocation* online,
                         std::time_t now) {
  PathResult out;
  // Every stored certificate: the anchors too, so that a CRL's issuer is found when checking
  // the CRL (anchors still come from the trust store first).
  BorrowedCerts untrusted = chain_material(message_certs, trust.all());
  Context chain;
  start(chain, signer, trust, untrusted.get(), now, 0);
  const bool built = X509_verify_cert(chain.ctx.get()) == 1;
  drain_openssl_errors();
  switch (chain.seen.signer_time_error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      out.validity = check("expired", "The signer's certificate has expired", subject_of(signer));
      break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      out.validity =
          check("not_yet_valid", "The signer's certificate is not yet valid", subject_of(signer));
      break;
    default:
      out.validity = check("valid", "The signer's certificate is within its validity period");
  }
  if (!built) {
    describe_chain_failure(chain.ctx.get(), out);
    return out;
  }
  out.chain = check("valid", "The signer's certificate chains to a trust anchor");
  out.unstored_intermediates =
      unstored_above_signer(X509_STORE_CTX_get0_chain(chain.ctx.get()), trust);

  STACK_OF(X509)* built_chain = X509_STORE_CTX_get0_chain(chain.ctx.get());
  BorrowedCrls crls = crl_material(message_crls, trust.crls());
  const OnlineResults asked =
      consult_online(built_chain, crls.get(), trust.anchors(), untrusted.get(), online, now);
  CrlFindings findings;
  if (crls_cover(built_chain, crls.get()) && !all_answered(asked)) {
    findings = crl_pass(signer, trust, untrusted.get(), crls.get(), now);
  }
  out.revocation =
      combine_revocation(built_chain, findings, asked, message_crls, online, revocations);
  return out;
}

}  // namespace smime::engine::cms
