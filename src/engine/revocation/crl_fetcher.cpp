#include "crl_fetcher.hpp"

#include <openssl/x509v3.h>

#include "smime/certs/certificate_info.hpp"
#include "smime/certs/crl.hpp"
#include "smime/common/display_text.hpp"
#include "smime/common/error.hpp"

namespace smime::engine::revocation {

std::vector<std::string> distribution_points(X509* cert) {
  std::vector<std::string> urls;
  DistPointsPtr points(static_cast<STACK_OF(DIST_POINT)*>(
      X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr)));
  if (!points) return urls;
  for (int i = 0; i < sk_DIST_POINT_num(points.get()) && urls.size() < 16; ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
    if (point->distpoint == nullptr || point->distpoint->type != 0) continue;  // full names
    const GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names) && urls.size() < 16; ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      urls.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                        static_cast<std::size_t>(ASN1_STRING_length(uri)));
    }
  }
  return urls;
}

FetchedCrl CrlFetcher::fetch_for(X509* cert, const std::vector<X509*>& above, std::time_t now) {
  const std::vector<const X509*> carried(above.begin(), above.end());
  FetchedCrl out;
  const UrlChoice choice = FetchContext::choose(distribution_points(cert));
  if (choice.urls.empty()) {
    out.note = choice.skipped;  // empty when it names no distribution point at all
    return out;
  }
  for (const std::string& url : choice.urls) {
    if (auto blocked = context_.backoff().blocked(url, now)) {
      out.note = "the CRL at " + escape_for_display(url) + " is not fetched now: " + *blocked;
      continue;
    }
    std::string reason;
    bool stored_new = false;
    out.crl = fetch_url(url, false, now, carried, reason, stored_new);
    if (out.crl) return out;
    out.note = "fetching the CRL at " + escape_for_display(url) + " failed: " + reason;
  }
  return out;
}

void CrlFetcher::store(std::span<const unsigned char> crl, const std::vector<const X509*>& carried,
                       bool& of_carried) {
  of_carried = false;
  try {
    certificates_.import_crl(crl);
    return;
  } catch (const Error& e) {
    // Its issuer is not stored: it may be an intermediate of the validated chain (carried).
    if (e.code() != ErrorCode::not_found || carried.empty()) throw;
  }
  of_carried = true;
  certificates_.import_crl_of_carried_issuer(crl, carried);
}

X509CrlPtr CrlFetcher::fetch_url(const std::string& url, bool refresh, std::time_t now,
                                 const std::vector<const X509*>& carried, std::string& reason,
                                 bool& stored_new) {
  RevocationEvent event{"crl", url, false, refresh, {}, {}};
  try {
    const HttpResponse response =
        context_.http().exchange(HttpRequest{url, {}, {}}, context_.settings().limits);
    if (response.status != 200) {
      throw Error(ErrorCode::not_found, "HTTP status " + std::to_string(response.status));
    }
    certs::ParsedCrl parsed = certs::parse_crl(response.body);
    event.issuer = parsed.description.issuer;
    bool of_carried = false;
    try {
      // As an imported CRL: the issuer validates to an anchor; an older one is replaced.
      store(response.body, carried, of_carried);
      stored_new = true;
    } catch (const Error& e) {
      // The store already holds this CRL or a newer one: validated, not stored again.
      if (e.code() != ErrorCode::conflict) throw;
    }
    remember(url, parsed.description.issuer, parsed.description.next_update,
             of_carried ? carried : std::vector<const X509*>{});
    context_.backoff().succeeded(url);
    event.ok = true;
    event.reason = stored_new ? "stored the CRL of " + parsed.description.issuer
                              : "the store already holds this CRL of " + parsed.description.issuer +
                                    " or a newer one";
    if (stored_new || !refresh) context_.report(event);
    return std::move(parsed.crl);
  } catch (const std::exception& e) {
    reason = e.what();
  }
  context_.backoff().failed(url, reason, now);
  event.reason = reason;
  context_.report(event);
  return nullptr;
}

void CrlFetcher::remember(const std::string& url, const std::string& issuer,
                          std::time_t next_update, const std::vector<const X509*>& carried) {
  std::vector<X509Ptr> kept;
  for (const X509* cert : carried) {
    if (X509_up_ref(const_cast<X509*>(cert)) != 1) {
      throw_openssl(ErrorCode::internal, "X509_up_ref");
    }
    kept.emplace_back(const_cast<X509*>(cert));
  }
  std::lock_guard lock(mutex_);
  if (remembered_.size() >= kMaxRemembered && remembered_.find(url) == remembered_.end()) {
    remembered_.erase(remembered_.begin());
  }
  remembered_[url] = Remembered{issuer, next_update, std::move(kept)};
}

bool CrlFetcher::was_fetched(const std::string& issuer) const {
  std::lock_guard lock(mutex_);
  for (const auto& [url, known] : remembered_) {
    if (known.issuer == issuer) return true;
  }
  return false;
}

std::size_t CrlFetcher::refresh(std::time_t now) {
  struct Due {
    std::string url;
    std::vector<X509Ptr> carried;  // a reference of each, while the entry may change
  };
  std::vector<Due> due;
  {
    std::lock_guard lock(mutex_);
    const auto margin = static_cast<std::time_t>(context_.settings().refresh_margin.count());
    for (const auto& [url, known] : remembered_) {
      if (known.next_update == 0 || known.next_update - margin > now) continue;
      Due d{url, {}};
      for (const X509Ptr& cert : known.carried) {
        if (X509_up_ref(cert.get()) != 1) throw_openssl(ErrorCode::internal, "X509_up_ref");
        d.carried.emplace_back(cert.get());
      }
      due.push_back(std::move(d));
    }
  }
  std::size_t stored = 0;
  for (const Due& d : due) {
    if (context_.backoff().blocked(d.url, now)) continue;
    std::vector<const X509*> carried;
    for (const X509Ptr& cert : d.carried) carried.push_back(cert.get());
    std::string reason;
    bool stored_new = false;
    (void)fetch_url(d.url, true, now, carried, reason, stored_new);
    if (stored_new) ++stored;
  }
  return stored;
}

}  // namespace smime::engine::revocation
