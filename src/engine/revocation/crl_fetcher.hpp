// CRLs fetched from a certificate's CRL distribution points (http:// only): the answer must be
// a CRL that the certificate service accepts exactly as an imported one (its issuer a stored
// certificate that is an anchor or chains to one), or, when its issuer is not stored, one
// signed by the issuer on the validated chain (an intermediate the message carried) that
// validates to an anchor (CertificateService::import_crl_of_carried_issuer); it is then
// stored, replacing an older CRL of the same issuer. Fetched URLs are remembered (with the
// carried issuer and its path, when the issuer is not stored), so that the refresher fetches
// them again before their nextUpdate.
#pragma once

#include <ctime>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "fetch_context.hpp"
#include "smime/common/handles.hpp"
#include "smime/service/certificate_service.hpp"

namespace smime::engine::revocation {

struct FetchedCrl {
  X509CrlPtr crl;    // null when none could be fetched
  std::string note;  // why none: the failure, a skipped URL, a URL in backoff (empty: no CDP)
};

// The URIs of the certificate's CRL distribution points (full names), in order.
std::vector<std::string> distribution_points(X509* cert);

class CrlFetcher {
 public:
  CrlFetcher(FetchContext& context, service::CertificateService& certificates)
      : context_(context), certificates_(certificates) {}

  // A CRL from one of the certificate's distribution points (tried in order). `above`: the
  // certificates above it on its validated chain, issuer first (borrowed).
  FetchedCrl fetch_for(X509* cert, const std::vector<X509*>& above, std::time_t now);
  // Whether the CRL of this issuer (one-line DN) came from a distribution point.
  bool was_fetched(const std::string& issuer) const;
  // Fetches again every remembered URL whose CRL's nextUpdate is within the refresh margin
  // (or past); the number of CRLs that were stored anew.
  std::size_t refresh(std::time_t now);

 private:
  struct Remembered {
    std::string issuer;
    std::time_t next_update = 0;  // 0: none given
    // The chain above the checked certificate, when the CRL's issuer is not stored (owned).
    std::vector<X509Ptr> carried;
  };
  // Fetches, validates and stores; null (reason set) on failure.
  X509CrlPtr fetch_url(const std::string& url, bool refresh, std::time_t now,
                       const std::vector<const X509*>& carried, std::string& reason,
                       bool& stored_new);
  // Stores it as an imported CRL, else (its issuer is not stored) as one of a carried issuer
  // (of_carried). Error(conflict): the store holds it or a newer one.
  void store(std::span<const unsigned char> crl, const std::vector<const X509*>& carried,
             bool& of_carried);
  void remember(const std::string& url, const std::string& issuer, std::time_t next_update,
                const std::vector<const X509*>& carried);

  static constexpr std::size_t kMaxRemembered = 1024;

  FetchContext& context_;
  service::CertificateService& certificates_;
  mutable std::mutex mutex_;
  std::map<std::string, Remembered> remembered_;  // by URL
};

}  // namespace smime::engine::revocation
