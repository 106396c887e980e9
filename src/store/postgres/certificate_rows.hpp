// The SQL of the PostgreSQL store's certificate reads, and turning their rows into records.
#pragma once

#include <string>
#include <string_view>

#include "smime/postgres/params.hpp"
#include "smime/postgres/result.hpp"
#include "smime/store/records.hpp"

namespace smime::store::pg {

// The certificate columns, in the order read_certificate() expects, the emails (in their
// order) as the last one: one statement reads a row with its emails, from one snapshot.
std::string certificate_select();

CertificateRecord read_certificate(const postgres::Result& rows, int row);

// SELECT ... for find_certificates(): the filters that are set, newest not_before first, and
// the parameters in the order the SQL numbers them (unused parameters would have no type).
struct CertificateSearch {
  std::string sql;
  postgres::Params params;
};
CertificateSearch certificate_search(const CertificateQuery& query);

}  // namespace smime::store::pg
