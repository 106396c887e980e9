// CRLs as the store keeps them: the issuer in the same one-line form as a CA's subject and
// revoked serials in the same hex as certificate serials, so lookups are plain comparisons.
#include "smime/certs/crl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <string_view>

#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"

namespace smime::certs {
namespace {

[[noreturn]] void refuse(const std::string& reason) {
  throw Error(ErrorCode::invalid_input, reason + ". Accepted formats: " + kAcceptedCrlFormats, 0,
              drain_openssl_errors());
}

// RFC 5280 CRLReason names (value 7 is unused).
std::string reason_name(long code) {
  switch (code) {
    case 0:
      return "unspecified";
    case 1:
      return "keyCompromise";
    case 2:
      return "cACompromise";
    case 3:
      return "affiliationChanged";
    case 4:
      return "superseded";
    case 5:
      return "cessationOfOperation";
    case 6:
      return "certificateHold";
    case 8:
      return "removeFromCRL";
    case 9:
      return "privilegeWithdrawn";
    case 10:
      return "aACompromise";
    default:
      return "reason " + std::to_string(code);
  }
}

std::string revocation_reason(const X509_REVOKED* entry) {
  int critical = 0;
  Asn1StringPtr reason(static_cast<ASN1_ENUMERATED*>(
      X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, nullptr)));
  if (!reason) return {};
  return reason_name(ASN1_ENUMERATED_get(reason.get()));
}

std::string crl_number(const X509_CRL* crl) {
  Asn1IntegerPtr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
  if (!number) return {};
  BignumPtr value(ASN1_INTEGER_to_BN(number.get(), nullptr));
  OpensslCharsPtr text(value ? BN_bn2dec(value.get()) : nullptr);
  if (!text) throw_openssl(ErrorCode::invalid_input, "The CRL number cannot be read");
  return text.get();
}

X509CrlPtr decode(std::span<const unsigned char> input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  if (text.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(input.data(), static_cast<int>(input.size())));
    X509CrlPtr crl(bio ? PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!crl) refuse("The \"X509 CRL\" PEM block is truncated or corrupt");
    return crl;
  }
  if (text.find("-----BEGIN ") != std::string_view::npos) {
    refuse("The PEM file contains no \"X509 CRL\" block");
  }
  const unsigned char* cursor = input.data();
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(input.size())));
  if (!crl) refuse("The file is not a CRL (or the DER data is truncated or corrupt)");
  if (cursor != input.data() + input.size()) refuse("The DER CRL is followed by extra bytes");
  return crl;
}

}  // namespace

ParsedCrl parse_crl(std::span<const unsigned char> input) {
  if (input.empty()) refuse("The file is empty");
  ParsedCrl parsed;
  parsed.crl = decode(input);
  X509_CRL* crl = parsed.crl.get();

  unsigned char* der = nullptr;
  const int der_length = i2d_X509_CRL(crl, &der);
  if (der_length <= 0) throw_openssl(ErrorCode::crypto, "Cannot encode the CRL");
  OpensslBytesPtr der_owner(der);

  CrlDescription& record = parsed.description;
  record.der.assign(der, der + der_length);
  record.issuer = one_line_name(X509_CRL_get_issuer(crl));
  record.this_update = unix_time(X509_CRL_get0_lastUpdate(crl));
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
  record.next_update = next != nullptr ? unix_time(next) : 0;
  record.crl_number = crl_number(crl);

  const STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
    parsed.revoked.push_back({serial_hex(X509_REVOKED_get0_serialNumber(entry)),
                              unix_time(X509_REVOKED_get0_revocationDate(entry)),
                              revocation_reason(entry)});
  }
  return parsed;
}

bool crl_signed_by(const X509_CRL* crl, const X509* issuer) {
  if (crl == nullptr || issuer == nullptr) return false;
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) return false;
  // A failed check is an answer, not an error: leave nothing behind in the queue.
  ERR_set_mark();
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  const bool verified = key != nullptr && X509_CRL_verify(const_cast<X509_CRL*>(crl), key) == 1;
  ERR_pop_to_mark();
  return verified;
}

}  // namespace smime::certs
