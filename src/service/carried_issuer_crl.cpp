// CertificateService::import_crl_of_carried_issuer: a fetched CRL whose issuer is an
// intermediate CA the message carried (issue 16 item 3: "stored or carried in a message").
#include <openssl/x509v3.h>

#include "smime/certs/certificate_info.hpp"
#include "smime/certs/chain.hpp"
#include "smime/certs/crl.hpp"
#include "smime/common/error.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/service/records.hpp"

namespace smime::service {
namespace {

constexpr std::int64_t kClockSkew = 300;  // seconds a CRL's thisUpdate may be ahead of us

[[noreturn]] void refuse(const std::string& reason) {
  throw Error(ErrorCode::invalid_input, reason);
}

bool may_sign_crls(const X509* cert) {
  X509* c = const_cast<X509*>(cert);
  // X509_get_key_usage: every usage when the certificate has no keyUsage extension.
  return X509_check_ca(c) >= 1 && (X509_get_key_usage(c) & KU_CRL_SIGN) != 0;
}

void require_current(const certs::CrlDescription& crl, std::int64_t now) {
  if (crl.this_update > now + kClockSkew) {
    refuse("The CRL of " + crl.issuer + " is not yet valid (its thisUpdate is ahead)");
  }
  if (crl.next_update != 0 && crl.next_update <= now) {
    refuse("The CRL of " + crl.issuer + " has expired (its nextUpdate has passed)");
  }
}

}  // namespace

store::CrlRecord CertificateService::import_crl_of_carried_issuer(
    std::span<const unsigned char> input, const std::vector<const X509*>& carried) {
  certs::ParsedCrl parsed = certs::parse_crl(input);
  const certs::CrlDescription& d = parsed.description;
  const std::int64_t at = now();
  require_current(d, at);
  std::vector<X509Ptr> owned;
  std::vector<const X509*> anchors;
  std::vector<const X509*> intermediates(carried.begin(), carried.end());
  for (const auto& stored : store_.find_certificates({})) {
    owned.push_back(certs::parse_der_certificate(stored.der));
    (stored.trusted ? anchors : intermediates).push_back(owned.back().get());
  }
  bool named = false;
  std::string chain_error;
  for (const X509* candidate : carried) {
    if (certs::one_line_name(X509_get_subject_name(candidate)) != d.issuer) continue;
    named = true;
    if (!certs::crl_signed_by(parsed.crl.get(), candidate)) continue;
    if (!may_sign_crls(candidate)) {
      refuse("The issuer of this CRL (" + d.issuer + ") is not a CA that may sign CRLs");
    }
    const certs::ChainResult chain = certs::build_chain(candidate, anchors, intermediates, at);
    if (!chain.trusted) {
      chain_error = chain.error;
      continue;
    }
    const std::string fingerprint = certs::sha256_fingerprint(candidate);
    return store_.insert_crl(to_record(d, fingerprint), to_records(parsed.revoked));
  }
  if (!chain_error.empty()) {
    refuse("The issuer of this CRL (" + d.issuer +
           ") does not chain to a trust anchor: " + chain_error);
  }
  if (named) {
    refuse("The CRL's signature does not verify with the certificate of its issuer " + d.issuer +
           " in the signer's chain");
  }
  throw Error(ErrorCode::not_found, "The issuer of this CRL (" + d.issuer +
                                        ") is neither stored nor in the signer's chain");
}

}  // namespace smime::service
