#include "revocation_check.hpp"

#include <openssl/err.h>

#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"

namespace smime::engine::cms {
namespace {

using revocation::OcspAnswer;

bool self_signed(X509* cert) {
  ERR_set_mark();
  const bool yes = X509_check_issued(cert, cert) == X509_V_OK;
  ERR_pop_to_mark();
  return yes;
}

std::string subject_of(X509* cert) {
  return certs::one_line_name(X509_get_subject_name(cert));
}

// A CRL of the certificate's issuer that is current now.
bool fresh_crl_known(X509* cert, STACK_OF(X509_CRL) * crls, std::time_t now) {
  const X509_NAME* issuer = X509_get_issuer_name(cert);
  for (int i = 0; i < sk_X509_CRL_num(crls); ++i) {
    X509_CRL* crl = sk_X509_CRL_value(crls, i);
    if (X509_NAME_cmp(issuer, X509_CRL_get_issuer(crl)) != 0) continue;
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
    if (next == nullptr || X509_cmp_time(next, &now) > 0) return true;
  }
  return false;
}

bool has_crl_of(STACK_OF(X509_CRL) * crls, const X509_NAME* issuer) {
  for (int i = 0; i < sk_X509_CRL_num(crls); ++i) {
    if (X509_NAME_cmp(issuer, X509_CRL_get_issuer(sk_X509_CRL_value(crls, i))) == 0) return true;
  }
  return false;
}

// One certificate's answer.
struct Answer {
  std::string status;  // good | revoked | unknown
  std::string source;  // ocsp | crl | none
  std::string text;    // revoked: the reason; unknown: why
};

Answer answer_at(int depth, X509* cert, const CrlFindings& crl, const OnlineResults& online,
                 store::RevocationIndex& revocations) {
  const auto d = static_cast<std::size_t>(depth);
  if (d < online.ocsp.size() && online.ocsp[d].status != OcspAnswer::Status::none) {
    const OcspAnswer& o = online.ocsp[d];
    return {o.status == OcspAnswer::Status::good ? "good" : "revoked", "ocsp", o.reason};
  }
  std::string note;
  if (d < online.ocsp.size() && !online.ocsp[d].reason.empty()) {
    note += "; " + online.ocsp[d].reason;
  }
  if (d < online.notes.size() && !online.notes[d].empty()) note += "; " + online.notes[d];
  if (!crl.ran) return {"unknown", "none", "no CRL of its issuer is known" + note};
  if (!crl.failure.empty()) return {"unknown", "crl", crl.failure + note};
  auto it = crl.errors.find(depth);
  if (it == crl.errors.end()) return {"good", "crl", {}};
  if (it->second == X509_V_ERR_CERT_REVOKED) {
    const std::string issuer = certs::one_line_name(X509_get_issuer_name(cert));
    auto revoked = revocations.revocation(issuer, certs::serial_hex(X509_get0_serialNumber(cert)));
    return {"revoked", "crl", revoked ? revoked->reason : std::string()};
  }
  return {"unknown", "crl", X509_verify_cert_error_string(it->second) + note};
}

std::string crl_origin(X509* cert, bool fetched_now, STACK_OF(X509_CRL) * message_crls,
                       const revocation::OnlineRevocation* sources) {
  const X509_NAME* issuer = X509_get_issuer_name(cert);
  if (has_crl_of(message_crls, issuer)) return "message";
  if (fetched_now) return "fetched";
  if (sources != nullptr && sources->crls.was_fetched(certs::one_line_name(issuer))) {
    return "fetched";
  }
  return "stored";
}

}  // namespace

int revocation_depths(STACK_OF(X509) * chain) {
  const int n = sk_X509_num(chain);
  if (n > 0 && self_signed(sk_X509_value(chain, n - 1))) return n - 1;
  return n;
}

OnlineResults consult_online(STACK_OF(X509) * chain, STACK_OF(X509_CRL) * crls, X509_STORE* anchors,
                             STACK_OF(X509) * untrusted, revocation::OnlineRevocation* online,
                             std::time_t now) {
  OnlineResults out;
  out.crls.reset(sk_X509_CRL_new_null());
  if (!out.crls) throw_openssl(ErrorCode::internal, "Out of memory");
  const int depths = revocation_depths(chain);
  out.ocsp.resize(static_cast<std::size_t>(depths));
  out.notes.resize(static_cast<std::size_t>(depths));
  out.fetched.resize(static_cast<std::size_t>(depths), false);
  if (online == nullptr) return out;
  const RevocationSettings& settings = online->context.settings();
  const int n = sk_X509_num(chain);
  for (int depth = 0; depth < depths; ++depth) {
    X509* cert = sk_X509_value(chain, depth);
    const auto d = static_cast<std::size_t>(depth);
    // The issuer is the next certificate up; a top certificate that is not self-signed (an
    // intermediate made an anchor) has none in the chain: its CRLs only.
    X509* issuer = depth + 1 < n ? sk_X509_value(chain, depth + 1) : nullptr;
    if (settings.ocsp && issuer != nullptr) {
      out.ocsp[d] = online->ocsp.status(cert, issuer, anchors, untrusted, now);
      if (out.ocsp[d].status != OcspAnswer::Status::none) continue;
    }
    if (!settings.fetch_crls || fresh_crl_known(cert, crls, now)) continue;
    // The chain above it: a CRL signed by a carried intermediate is checked against it.
    std::vector<X509*> above;
    for (int up = depth + 1; up < n; ++up) above.push_back(sk_X509_value(chain, up));
    revocation::FetchedCrl fetched = online->crls.fetch_for(cert, above, now);
    if (!fetched.crl) {
      out.notes[d] = fetched.note;
      continue;
    }
    if (sk_X509_CRL_push(out.crls.get(), fetched.crl.get()) <= 0 ||
        sk_X509_CRL_push(crls, fetched.crl.get()) <= 0) {
      throw_openssl(ErrorCode::internal, "Out of memory");
    }
    (void)fetched.crl.release();  // out.crls owns it, crls borrows it
    out.fetched[d] = true;
  }
  return out;
}

SignatureCheck combine_revocation(STACK_OF(X509) * chain, const CrlFindings& crl,
                                  const OnlineResults& online, STACK_OF(X509_CRL) * message_crls,
                                  const revocation::OnlineRevocation* sources,
                                  store::RevocationIndex& revocations) {
  const int depths = revocation_depths(chain);
  std::vector<Answer> answers;
  for (int depth = 0; depth < depths; ++depth) {
    answers.push_back(answer_at(depth, sk_X509_value(chain, depth), crl, online, revocations));
  }
  auto origin_of = [&](int depth) {
    if (answers[static_cast<std::size_t>(depth)].source != "crl") return std::string();
    const auto d = static_cast<std::size_t>(depth);
    return crl_origin(sk_X509_value(chain, depth), d < online.fetched.size() && online.fetched[d],
                      message_crls, sources);
  };
  for (const char* wanted : {"revoked", "unknown"}) {
    for (int depth = 0; depth < depths; ++depth) {
      const Answer& a = answers[static_cast<std::size_t>(depth)];
      if (a.status != wanted) continue;
      SignatureCheck out;
      out.status = a.status;
      out.source = a.source;
      out.origin = origin_of(depth);
      out.certificate = subject_of(sk_X509_value(chain, depth));
      if (a.status == "revoked") {
        out.reason = depth == 0 ? "The signer's certificate has been revoked"
                                : "A certificate in the signer's chain has been revoked (" +
                                      out.certificate + ")";
        if (!a.text.empty()) out.reason += " (" + a.text + ")";
      } else {
        out.reason = "The revocation status of " + out.certificate + " is unknown: " + a.text;
      }
      return out;
    }
  }
  SignatureCheck out;
  out.status = "good";
  out.reason = "No certificate in the signer's chain is revoked";
  for (const Answer& a : answers) {
    if (out.source.empty()) {
      out.source = a.source;
    } else if (out.source != a.source) {
      out.source = "ocsp+crl";
    }
  }
  if (out.source.empty()) out.source = "none";  // only a self-signed anchor
  if (!answers.empty()) out.origin = origin_of(0);
  return out;
}

}  // namespace smime::engine::cms
