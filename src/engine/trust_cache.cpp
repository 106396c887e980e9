#include "trust_cache.hpp"

#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"
#include "smime/store/revision_scope.hpp"

namespace smime::engine {

namespace {

void push_reference(STACK_OF(X509) * stack, X509* cert) {
  if (X509_up_ref(cert) != 1) throw_openssl(ErrorCode::internal, "Out of memory");
  X509Ptr reference(cert);
  if (sk_X509_push(stack, cert) <= 0) throw_openssl(ErrorCode::internal, "Out of memory");
  (void)reference.release();  // the stack owns it now
}

}  // namespace

TrustSnapshot::TrustSnapshot(std::vector<StoredCertificate> certificates,
                             std::vector<X509CrlPtr> crls, std::int64_t revision)
    : certificates_(std::move(certificates)),
      anchors_(X509_STORE_new()),
      everything_(X509_STORE_new()),
      all_(sk_X509_new_null()),
      untrusted_(sk_X509_new_null()),
      crls_(sk_X509_CRL_new_null()),
      revision_(revision) {
  if (!anchors_ || !everything_ || !all_ || !untrusted_ || !crls_) {
    throw_openssl(ErrorCode::internal, "Out of memory");
  }
  for (const StoredCertificate& stored : certificates_) {
    X509* cert = stored.certificate.get();
    if (stored.record.trusted) {
      if (X509_STORE_add_cert(anchors_.get(), cert) != 1)
        drain_openssl_errors();  // duplicate subject
    } else {
      push_reference(untrusted_.get(), cert);
    }
    push_reference(all_.get(), cert);
    if (X509_STORE_add_cert(everything_.get(), cert) != 1) drain_openssl_errors();
  }
  for (X509CrlPtr& crl : crls) {
    if (sk_X509_CRL_push(crls_.get(), crl.get()) <= 0) {
      throw_openssl(ErrorCode::internal, "Out of memory");
    }
    (void)crl.release();
  }
}

const StoredCertificate* TrustSnapshot::by_fingerprint(const std::string& sha256) const {
  for (const StoredCertificate& stored : certificates_) {
    if (stored.record.sha256 == sha256) return &stored;
  }
  return nullptr;
}

std::vector<X509*> TrustSnapshot::issuers_of(X509* leaf) const {
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  // Which certificates to embed, not whether to trust them: every stored one may end the chain
  // (an organisation's CA need not be our own trust anchor).
  if (!ctx || X509_STORE_CTX_init(ctx.get(), everything_.get(), leaf, all_.get()) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot build a certificate chain");
  }
  // Only the chain matters here: the signer's own validity was checked when it was selected.
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
  std::vector<X509*> issuers;
  if (X509_verify_cert(ctx.get()) == 1) {
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 1; i < sk_X509_num(chain); ++i) {
      // Point at our own parsed copies, which live as long as the snapshot.
      X509* found = sk_X509_value(chain, i);
      for (const StoredCertificate& stored : certificates_) {
        if (X509_cmp(stored.certificate.get(), found) == 0) {
          issuers.push_back(stored.certificate.get());
          break;
        }
      }
    }
  }
  drain_openssl_errors();
  return issuers;
}

std::shared_ptr<const TrustSnapshot> TrustCache::current() {
  const std::int64_t revision = store::current_revision(store_);
  std::lock_guard lock(mutex_);
  if (snapshot_ && snapshot_->revision() == revision) return snapshot_;
  std::vector<StoredCertificate> parsed;
  for (store::CertificateRecord& record : store_.find_certificates({})) {
    X509Ptr cert = certs::parse_der_certificate(record.der);
    parsed.push_back(StoredCertificate{std::move(record), std::move(cert)});
  }
  std::vector<X509CrlPtr> crls;
  for (const store::CrlRecord& record : store_.list_crls()) {
    const unsigned char* cursor = record.der.data();
    X509CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(record.der.size())));
    if (!crl) {  // stored after parsing: a damaged row, not a reason to stop verifying
      drain_openssl_errors();
      continue;
    }
    crls.push_back(std::move(crl));
  }
  snapshot_ = std::make_shared<const TrustSnapshot>(std::move(parsed), std::move(crls), revision);
  return snapshot_;
}

X509Ptr certificate_of(const TrustSnapshot& trust, const store::CertificateRecord& record) {
  if (const StoredCertificate* stored = trust.by_fingerprint(record.sha256)) {
    X509* cert = stored->certificate.get();
    if (X509_up_ref(cert) != 1) throw_openssl(ErrorCode::internal, "X509_up_ref");
    return X509Ptr(cert);
  }
  return certs::parse_der_certificate(record.der);
}

}  // namespace smime::engine
