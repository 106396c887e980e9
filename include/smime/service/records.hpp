// What the certificate code reads out of a certificate or CRL, as the store keeps it.
#pragma once

#include <string>
#include <vector>

#include "smime/certs/crl.hpp"
#include "smime/certs/descriptions.hpp"
#include "smime/store/records.hpp"

namespace smime::service {

// A new row (id, token key and timestamps are the store's to fill in).
store::CertificateRecord to_record(const certs::CertificateDescription& description);
store::CrlRecord to_record(const certs::CrlDescription& description,
                           const std::string& issuer_sha256);
std::vector<store::RevokedEntry> to_records(const std::vector<certs::RevokedSerial>& revoked);

}  // namespace smime::service
