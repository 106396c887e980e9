// OCSP (RFC 6960) for one certificate: the responder named in its Authority Information Access
// (http:// only) is asked with a nonce; the answer counts only when its signature verifies (the
// CA itself, or a responder certificate the CA issued with id-kp-OCSPSigning, chaining to an
// anchor), its nonce is ours, and thisUpdate/nextUpdate hold now. Answers are kept until their
// nextUpdate, by issuer and serial. Only transport errors and refused answers (bad signature,
// nonce, malformed, not current) put the responder's URL into backoff; a signed "unknown" is
// an answer (the CRLs then decide).
#pragma once

#include <ctime>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fetch_context.hpp"
#include "smime/common/handles.hpp"

namespace smime::engine::revocation {

struct OcspAnswer {
  enum class Status { none, good, revoked };
  Status status = Status::none;
  // revoked: the CRLReason; none: why there is no answer (empty: no AIA), or that the
  // responder answered "unknown" (a valid answer: the URL is not backed off, CRLs decide)
  std::string reason;
  std::string url;  // the responder asked
};

// The certificate's OCSP responder URIs (AIA id-ad-ocsp), in order.
std::vector<std::string> ocsp_responders(X509* cert);

class OcspClient {
 public:
  explicit OcspClient(FetchContext& context) : context_(context) {}

  // anchors / untrusted: what the responder's certificate must chain with.
  OcspAnswer status(X509* cert, X509* issuer, X509_STORE* anchors, STACK_OF(X509) * untrusted,
                    std::time_t now);

 private:
  struct Cached {
    OcspAnswer answer;
    std::time_t next_update = 0;
  };
  OcspAnswer ask(const std::string& url, OCSP_CERTID* id, X509_STORE* anchors,
                 STACK_OF(X509) * untrusted, std::time_t& next_update);
  void keep(const std::string& key, const OcspAnswer& answer, std::time_t next_update,
            std::time_t now);

  static constexpr std::size_t kMaxCached = 10000;

  FetchContext& context_;
  std::mutex mutex_;
  std::map<std::string, Cached> cache_;  // by the DER of the CertID (issuer hashes + serial)
};

}  // namespace smime::engine::revocation
