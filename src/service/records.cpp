#include "smime/service/records.hpp"

namespace smime::service {

store::CertificateRecord to_record(const certs::CertificateDescription& d) {
  store::CertificateRecord r;
  r.sha256 = d.sha256;
  r.sha1 = d.sha1;
  r.der = d.der;
  r.subject = d.subject;
  r.issuer = d.issuer;
  r.serial = d.serial;
  r.subject_key_id = d.subject_key_id;
  r.authority_key_id = d.authority_key_id;
  r.emails = d.emails;
  r.not_before = d.not_before;
  r.not_after = d.not_after;
  r.key_algorithm = d.key_algorithm;
  r.key_bits = d.key_bits;
  r.curve = d.curve;
  r.key_usages = d.key_usages;
  r.extended_key_usages = d.extended_key_usages;
  r.can_sign = d.can_sign;
  r.can_encrypt = d.can_encrypt;
  r.is_ca = d.is_ca;
  return r;
}

store::CrlRecord to_record(const certs::CrlDescription& d, const std::string& issuer_sha256) {
  store::CrlRecord r;
  r.issuer = d.issuer;
  r.issuer_sha256 = issuer_sha256;
  r.der = d.der;
  r.this_update = d.this_update;
  r.next_update = d.next_update;
  r.crl_number = d.crl_number;
  return r;
}

std::vector<store::RevokedEntry> to_records(const std::vector<certs::RevokedSerial>& revoked) {
  std::vector<store::RevokedEntry> out;
  out.reserve(revoked.size());
  for (const auto& entry : revoked) out.push_back({entry.serial, entry.revoked_at, entry.reason});
  return out;
}

}  // namespace smime::service
