// Which certificate the appliance would use: status, signer and recipient selection, chains.
#include <algorithm>
#include <cctype>
#include <limits>

#include "selection_cache.hpp"
#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"
#include "smime/common/text.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/revision_scope.hpp"

namespace smime::service {
namespace {

// The reason, for the best candidate that could not be used.
std::string unusable_reason(CertificateStatus status, const std::string& address) {
  switch (status) {
    case CertificateStatus::expired:
      return "The certificate for " + address + " was found, but has expired";
    case CertificateStatus::not_yet_valid:
      return "The certificate for " + address + " was found, but is not valid yet";
    case CertificateStatus::revoked:
      return "The certificate for " + address + " was found, but has been revoked";
    case CertificateStatus::valid:
      break;
  }
  return "The certificate for " + address + " was found";
}

// The selection can only change when a candidate becomes valid or expires: the earliest such
// moment after now bounds how long the answer may be remembered.
void bound_by(std::time_t& valid_until, const store::CertificateRecord& c, std::time_t now) {
  for (std::int64_t edge : {c.not_before, c.not_after + 1}) {
    if (edge > now && edge < valid_until) valid_until = static_cast<std::time_t>(edge);
  }
}

constexpr std::time_t kForever = std::numeric_limits<std::time_t>::max();

}  // namespace

CertificateStatus CertificateService::status(const store::CertificateRecord& record) {
  if (store_.revocation(record.issuer, record.serial)) return CertificateStatus::revoked;
  switch (certs::validity_at(record.not_before, record.not_after, now())) {
    case certs::Validity::expired:
      return CertificateStatus::expired;
    case certs::Validity::not_yet_valid:
      return CertificateStatus::not_yet_valid;
    case certs::Validity::valid:
      break;
  }
  return CertificateStatus::valid;
}

Selection CertificateService::remembered(std::string_view kind, std::string_view address,
                                         SelectFunction select) {
  const std::string normalized = ascii_lower(address);
  const std::string key = std::string(kind) + ":" + normalized;
  // Read first: a later change misses. Once per request (revision_scope.hpp).
  const std::int64_t revision = store::current_revision(store_);
  if (auto cached = selections_->find(key, revision, now())) return std::move(*cached);
  std::time_t valid_until = kForever;
  Selection result = (this->*select)(normalized, valid_until);
  selections_->put(key, result, revision, valid_until);
  return result;
}

Selection CertificateService::signing_certificate(std::string_view address) {
  return remembered("sign", address, &CertificateService::select_signing);
}

Selection CertificateService::select_signing(const std::string& address, std::time_t& valid_until) {
  Selection result{address, std::nullopt, {}};
  store::CertificateQuery query;
  query.email = result.address;
  query.is_ca = false;
  auto candidates = store_.find_certificates(query);  // newest first
  const std::time_t at = now();
  for (const auto& c : candidates) bound_by(valid_until, c, at);
  if (candidates.empty()) {
    result.reason = "The certificate for " + result.address + " was not found";
    return result;
  }
  std::optional<CertificateStatus> best_unusable;
  bool any_key = false;
  bool any_signing = false;
  for (const auto& c : candidates) {
    if (!c.can_sign) continue;
    any_signing = true;
    if (!c.token_key_id) continue;
    any_key = true;
    CertificateStatus s = status(c);
    if (s == CertificateStatus::valid) {
      result.certificate = c;
      result.reason = "The certificate for " + result.address + " was found";
      return result;
    }
    if (!best_unusable) best_unusable = s;
  }
  if (!any_signing) {
    result.reason = "The certificate for " + result.address + " does not allow signing";
  } else if (!any_key) {
    result.reason = "The certificate for " + result.address +
                    " was found, but its private key is not in the token";
  } else {
    result.reason = unusable_reason(*best_unusable, result.address);
  }
  return result;
}

std::vector<Selection> CertificateService::encryption_certificates(
    const std::vector<std::string>& addresses) {
  std::vector<Selection> out;
  out.reserve(addresses.size());
  for (const auto& address : addresses) out.push_back(encryption_certificate(address));
  return out;
}

Selection CertificateService::encryption_certificate(std::string_view address) {
  return remembered("encrypt", address, &CertificateService::select_encryption);
}

Selection CertificateService::select_encryption(const std::string& address,
                                                std::time_t& valid_until) {
  Selection sel{address, std::nullopt, {}};
  store::CertificateQuery query;
  query.email = sel.address;
  query.is_ca = false;
  const auto candidates = store_.find_certificates(query);  // newest first
  const std::time_t at = now();
  for (const auto& c : candidates) bound_by(valid_until, c, at);
  std::optional<CertificateStatus> best_unusable;
  bool any_encrypting = false;
  for (const auto& c : candidates) {
    if (!c.can_encrypt) continue;
    any_encrypting = true;
    CertificateStatus s = status(c);
    if (s == CertificateStatus::valid) {
      sel.certificate = c;
      break;
    }
    if (!best_unusable) best_unusable = s;
  }
  if (sel.certificate) {
    sel.reason = "The certificate for " + sel.address + " was found";
  } else if (best_unusable) {
    sel.reason = unusable_reason(*best_unusable, sel.address);
  } else if (!any_encrypting && !candidates.empty()) {
    sel.reason = "The certificate for " + sel.address + " does not allow encryption";
  } else {
    sel.reason = "The certificate for " + sel.address + " was not found";
  }
  return sel;
}

certs::ChainResult CertificateService::chain_for(const store::CertificateRecord& record) {
  std::vector<X509Ptr> owned;
  std::vector<const X509*> anchors;
  std::vector<const X509*> intermediates;
  for (const auto& stored : store_.find_certificates({})) {
    owned.push_back(certs::parse_der_certificate(stored.der));
    (stored.trusted ? anchors : intermediates).push_back(owned.back().get());
  }
  X509Ptr leaf = certs::parse_der_certificate(record.der);
  return certs::build_chain(leaf.get(), anchors, intermediates, now());
}

}  // namespace smime::service
