// The engine's online revocation sources put together: CRL fetching and OCSP over one HTTP
// client, negative cache, listener and counters (Engine::enable_online_revocation).
#pragma once

#include <memory>

#include "crl_fetcher.hpp"
#include "fetch_context.hpp"
#include "ocsp_client.hpp"

namespace smime::engine::revocation {

struct OnlineRevocation {
  OnlineRevocation(std::shared_ptr<HttpClient> http, RevocationSettings settings,
                   RevocationListener listener, service::CertificateService& certificates)
      : context(std::move(http), settings, std::move(listener)),
        crls(context, certificates),
        ocsp(context) {}

  FetchContext context;
  CrlFetcher crls;
  OcspClient ocsp;
};

}  // namespace smime::engine::revocation
