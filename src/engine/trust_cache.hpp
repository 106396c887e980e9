// Parsed certificates of the store for the engine's hot path: trust anchors for verification,
// the org certificates whose keys are in the token (decryption), issuers to embed when signing.
// Rebuilt only when the store's revision changes (any process), never per request.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "smime/common/handles.hpp"
#include "smime/store/store.hpp"

namespace smime::engine {

struct StoredCertificate {
  store::CertificateRecord record;
  X509Ptr certificate;
};

class TrustSnapshot {
 public:
  TrustSnapshot(std::vector<StoredCertificate> certificates, std::vector<X509CrlPtr> crls,
                std::int64_t revision);

  std::int64_t revision() const noexcept { return revision_; }
  const std::vector<StoredCertificate>& certificates() const noexcept { return certificates_; }
  // The certificates marked trusted (no built-in roots): chains may end only there.
  X509_STORE* anchors() const noexcept { return anchors_.get(); }
  // Every stored certificate (signer lookup), and those that are not anchors (path building).
  STACK_OF(X509) * all() const noexcept { return all_.get(); }
  STACK_OF(X509) * untrusted() const noexcept { return untrusted_.get(); }
  // The stored CRLs, parsed.
  STACK_OF(X509_CRL) * crls() const noexcept { return crls_.get(); }
  const StoredCertificate* by_fingerprint(const std::string& sha256) const;
  // The issuers of `leaf` up to its anchor (leaf excluded), empty when it has none stored.
  std::vector<X509*> issuers_of(X509* leaf) const;

 private:
  std::vector<StoredCertificate> certificates_;
  X509StorePtr anchors_;
  X509StorePtr everything_;  // every stored certificate: issuers to embed when signing
  X509StackPtr all_;
  X509StackPtr untrusted_;
  X509CrlStackPtr crls_;
  std::int64_t revision_;
};

// The parsed certificate of `record` from the snapshot; parsed here only if it was stored
// after the snapshot was taken.
X509Ptr certificate_of(const TrustSnapshot& trust, const store::CertificateRecord& record);

class TrustCache {
 public:
  explicit TrustCache(store::Store& store) : store_(store) {}
  std::shared_ptr<const TrustSnapshot> current();

 private:
  store::Store& store_;
  std::mutex mutex_;
  std::shared_ptr<const TrustSnapshot> snapshot_;
};

}  // namespace smime::engine
