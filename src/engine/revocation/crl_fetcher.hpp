// CRLs fetched from a certificate's CRL distribution points (http:// only): the answer must be
// a CRL that the certificate service accepts exactly as an imported one (its issuer a stored
// certificate that is an anchor or chains to one); it is then stored, replacing an older CRL of
// the same issuer. Fetched URLs are remembered, so that the refresher fetches them again
// before their nextUpdate.
#pragma once

#include <ctime>
#include <map>
#include <mutex>
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

  // A CRL from one of the certificate's distribution points (tried in order).
  FetchedCrl fetch_for(X509* cert, std::time_t now);
  // Whether the CRL of this issuer (one-line DN) came from a distribution point.
  bool was_fetched(const std::string& issuer) const;
  // Fetches again every remembered URL whose CRL's nextUpdate is within the refresh margin
  // (or past); the number of CRLs that were stored anew.
  std::size_t refresh(std::time_t now);

 private:
  struct Remembered {
    std::string issuer;
    std::time_t next_update = 0;  // 0: none given
  };
  // Fetches, validates and stores; null (reason set) on failure.
  X509CrlPtr fetch_url(const std::string& url, bool refresh, std::time_t now, std::string& reason,
                       bool& stored_new);
  void remember(const std::string& url, const std::string& issuer, std::time_t next_update);

  static constexpr std::size_t kMaxRemembered = 1024;

  FetchContext& context_;
  service::CertificateService& certificates_;
  mutable std::mutex mutex_;
  std::map<std::string, Remembered> remembered_;  // by URL
};

}  // namespace smime::engine::revocation
