// Chain verification against the appliance's own anchors only (no system roots), at a given
// time, so expiry can be judged for "now" (outgoing mail) or for a signing time (incoming).
#include "smime/certs/chain.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "smime/common/error.hpp"

namespace smime::certs {
namespace {

X509Ptr owned_copy(X509* cert) {
  X509_up_ref(cert);
  return X509Ptr(cert);
}

}  // namespace

ChainResult build_chain(const X509* leaf, const std::vector<const X509*>& anchors,
                        const std::vector<const X509*>& intermediates, std::time_t at) {
  if (leaf == nullptr) throw Error(ErrorCode::internal, "build_chain: no certificate given");

  X509StorePtr store(X509_STORE_new());
  if (!store) throw_openssl(ErrorCode::crypto, "Cannot create a certificate store");
  for (const X509* anchor : anchors) {
    // X509_STORE_add_cert takes its own reference; a duplicate anchor is not an error.
    ERR_set_mark();
    X509_STORE_add_cert(store.get(), const_cast<X509*>(anchor));
    ERR_pop_to_mark();
  }

  X509StackPtr untrusted(sk_X509_new_null());
  if (!untrusted) throw_openssl(ErrorCode::crypto, "Cannot create a certificate list");
  for (const X509* intermediate : intermediates) {
    X509Ptr copy = owned_copy(const_cast<X509*>(intermediate));
    if (sk_X509_push(untrusted.get(), copy.get()) <= 0) {
      throw_openssl(ErrorCode::crypto, "Cannot build the list of intermediate certificates");
    }
    (void)copy.release();  // the stack owns it now
  }

  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx ||
      X509_STORE_CTX_init(ctx.get(), store.get(), const_cast<X509*>(leaf), untrusted.get()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot start the certificate chain verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // Partial chains: an explicitly imported certificate (or intermediate) is an anchor itself.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(param, at);

  ERR_set_mark();
  const int verified = X509_verify_cert(ctx.get());
  ERR_pop_to_mark();  // the outcome is reported through ChainResult, not the error queue

  ChainResult result;
  result.trusted = verified == 1;
  const STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(built); ++i) {
    result.chain.push_back(owned_copy(sk_X509_value(built, i)));
  }
  if (result.chain.empty()) result.chain.push_back(owned_copy(const_cast<X509*>(leaf)));
  if (!result.trusted) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    result.error = error == X509_V_OK ? "certificate chain verification failed"
                                      : X509_verify_cert_error_string(error);
  }
  return result;
}

std::vector<bool> default_anchors(const std::vector<X509Ptr>& input) {
  std::vector<bool> anchors(input.size(), true);
  auto issued = [](X509* issuer, X509* subject) {
    // A plain answer (names, key identifiers, key usage): nothing for the error queue.
    ERR_set_mark();
    const bool yes = X509_check_issued(issuer, subject) == X509_V_OK;
    ERR_pop_to_mark();
    return yes;
  };
  for (std::size_t i = 0; i < input.size(); ++i) {
    X509* cert = input[i].get();
    if (issued(cert, cert)) continue;  // self-signed: a root the administrator handed in
    for (std::size_t j = 0; j < input.size() && anchors[i]; ++j) {
      if (j == i) continue;
      X509* other = input[j].get();
      if (issued(other, cert) || issued(cert, other)) anchors[i] = false;
    }
  }
  return anchors;
}

}  // namespace smime::certs
