#include "ocsp_client.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "smime/certs/certificate_info.hpp"
#include "smime/common/display_text.hpp"
#include "smime/common/error.hpp"

namespace smime::engine::revocation {
namespace {

constexpr long kClockSkew = 300;  // seconds allowed between us and the responder

[[noreturn]] void refuse(const std::string& reason) {
  drain_openssl_errors();
  throw Error(ErrorCode::invalid_input, reason);
}

std::vector<unsigned char> der_of(OCSP_REQUEST* request) {
  unsigned char* raw = nullptr;
  const int length = i2d_OCSP_REQUEST(request, &raw);
  if (length <= 0) throw_openssl(ErrorCode::crypto, "Cannot encode the OCSP request");
  OpensslBytesPtr owner(raw);
  return {raw, raw + length};
}

std::string key_of(OCSP_CERTID* id) {
  unsigned char* raw = nullptr;
  const int length = i2d_OCSP_CERTID(id, &raw);
  if (length <= 0) throw_openssl(ErrorCode::crypto, "Cannot encode the OCSP CertID");
  OpensslBytesPtr owner(raw);
  return {reinterpret_cast<const char*>(raw), static_cast<std::size_t>(length)};
}

// The request for one certificate with a fresh nonce.
OcspRequestPtr request_for(OCSP_CERTID* id) {
  OcspRequestPtr request(OCSP_REQUEST_new());
  OcspCertIdPtr copy(OCSP_CERTID_dup(id));
  if (!request || !copy || OCSP_request_add0_id(request.get(), copy.get()) == nullptr) {
    throw_openssl(ErrorCode::internal, "Cannot build the OCSP request");
  }
  (void)copy.release();  // the request owns it
  if (OCSP_request_add1_nonce(request.get(), nullptr, -1) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot add a nonce to the OCSP request");
  }
  return request;
}

OcspBasicRespPtr basic_response(const std::vector<unsigned char>& body) {
  const unsigned char* cursor = body.data();
  OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(body.size())));
  if (!response) refuse("the answer is not an OCSP response");
  const int status = OCSP_response_status(response.get());
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    refuse(std::string("the responder answered ") + OCSP_response_status_str(status));
  }
  OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) refuse("the OCSP response has no basic response");
  return basic;
}

}  // namespace

std::vector<std::string> ocsp_responders(X509* cert) {
  std::vector<std::string> urls;
  OpensslStringsPtr list(X509_get1_ocsp(cert));
  for (int i = 0; list && i < sk_OPENSSL_STRING_num(list.get()) && urls.size() < 16; ++i) {
    urls.emplace_back(sk_OPENSSL_STRING_value(list.get(), i));
  }
  return urls;
}

OcspAnswer OcspClient::status(X509* cert, X509* issuer, X509_STORE* anchors,
                              STACK_OF(X509) * untrusted, std::time_t now) {
  OcspAnswer out;
  const UrlChoice choice = FetchContext::choose(ocsp_responders(cert));
  if (choice.urls.empty()) {
    out.reason = choice.skipped;  // empty when the AIA names no responder at all
    return out;
  }
  OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), cert, issuer));
  if (!id) throw_openssl(ErrorCode::internal, "Cannot identify the certificate for OCSP");
  const std::string key = key_of(id.get());
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      if (it->second.next_update > now) return it->second.answer;
      cache_.erase(it);
    }
  }
  for (const std::string& url : choice.urls) {
    if (auto blocked = context_.backoff().blocked(url, now)) {
      out.reason =
          "the OCSP responder " + escape_for_display(url) + " is not asked now: " + *blocked;
      continue;
    }
    RevocationEvent event{
        "ocsp", url, false, false, certs::one_line_name(X509_get_issuer_name(cert)), {}};
    std::time_t next_update = 0;
    try {
      OcspAnswer answer = ask(url, id.get(), anchors, untrusted, next_update);
      context_.backoff().succeeded(url);
      event.ok = true;
      event.reason = answer.status == OcspAnswer::Status::good      ? "good"
                     : answer.status == OcspAnswer::Status::revoked ? "revoked"
                                                                    : "unknown";
      context_.report(event);
      keep(key, answer, next_update, now);
      return answer;
    } catch (const std::exception& e) {
      event.reason = e.what();
    }
    context_.backoff().failed(url, event.reason, now);
    context_.report(event);
    out.reason =
        "the OCSP responder " + escape_for_display(url) + " gave no answer: " + event.reason;
  }
  return out;
}

OcspAnswer OcspClient::ask(const std::string& url, OCSP_CERTID* id, X509_STORE* anchors,
                           STACK_OF(X509) * untrusted, std::time_t& next_update) {
  OcspRequestPtr request = request_for(id);
  const HttpResponse response =
      context_.http().exchange(HttpRequest{url, "application/ocsp-request", der_of(request.get())},
                               context_.settings().limits);
  if (response.status != 200) refuse("HTTP status " + std::to_string(response.status));
  OcspBasicRespPtr basic = basic_response(response.body);
  // Signed by the CA, or by a responder the CA delegated (id-kp-OCSPSigning), to an anchor.
  if (OCSP_basic_verify(basic.get(), untrusted, anchors, 0) != 1) {
    const char* why = ERR_reason_error_string(ERR_peek_last_error());
    refuse("the OCSP response's signature does not verify to a trust anchor" +
           (why != nullptr ? " (" + std::string(why) + ")" : std::string()));
  }
  if (OCSP_check_nonce(request.get(), basic.get()) != 1) {
    refuse("the OCSP response does not carry the request's nonce");
  }
  int status = 0;
  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next = nullptr;
  if (OCSP_resp_find_status(basic.get(), id, &status, &reason, &revoked_at, &this_update, &next) !=
      1) {
    refuse("the OCSP response has no status for the certificate");
  }
  if (OCSP_check_validity(this_update, next, kClockSkew, -1) != 1) {
    refuse("the OCSP response is not current (thisUpdate/nextUpdate)");
  }
  drain_openssl_errors();
  next_update = next != nullptr ? static_cast<std::time_t>(certs::unix_time(next)) : 0;
  OcspAnswer answer;
  answer.url = url;
  if (status == V_OCSP_CERTSTATUS_GOOD) {
    answer.status = OcspAnswer::Status::good;
  } else if (status == V_OCSP_CERTSTATUS_REVOKED) {
    answer.status = OcspAnswer::Status::revoked;
    if (reason >= 0) answer.reason = OCSP_crl_reason_str(reason);
  } else {
    // A signed, current "unknown" is an answer, not a failure of the responder: no backoff;
    // the certificate's CRLs decide (status none).
    answer.reason =
        "the OCSP responder " + escape_for_display(url) + " does not know the certificate";
  }
  return answer;
}

void OcspClient::keep(const std::string& key, const OcspAnswer& answer, std::time_t next_update,
                      std::time_t now) {
  if (next_update <= now) return;  // no nextUpdate: newer information is always available
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kMaxCached) {
    std::erase_if(cache_, [now](const auto& e) { return e.second.next_update <= now; });
    if (cache_.size() >= kMaxCached) cache_.clear();
  }
  cache_[key] = Cached{answer, next_update};
}

}  // namespace smime::engine::revocation
