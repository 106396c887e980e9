#include "certificate_rows.hpp"

#include "record_rules.hpp"
#include "smime/common/text.hpp"

namespace smime::store::pg {

using postgres::Params;
using postgres::Result;

namespace {

// Appends " AND <condition with $n>" and its parameter, numbering parameters as they come.
class Filters {
 public:
  explicit Filters(CertificateSearch& search) : search_(search) {}

  template <class Value>
  void add(std::string_view before, const Value& value, std::string_view after = "") {
    search_.params.add(value);
    search_.sql += " AND ";
    search_.sql += before;
    search_.sql += "$" + std::to_string(search_.params.size());
    search_.sql += after;
  }
  void add_condition(std::string_view condition) {
    search_.sql += " AND ";
    search_.sql += condition;
  }

 private:
  CertificateSearch& search_;
};

}  // namespace

std::string certificate_select() {
  return "SELECT c.id, c.sha256, c.sha1, c.der, c.subject, c.issuer, c.serial, "
         "c.subject_key_id, c.authority_key_id, c.not_before, c.not_after, c.key_algorithm, "
         "c.key_bits, c.curve, c.key_usages, c.extended_key_usages, c.can_sign, c.can_encrypt, "
         "c.is_ca, c.token_key_id, c.key_exportable, c.created_at, c.updated_at, c.legacy_rules, "
         "ARRAY(SELECT e.email FROM certificate_emails e WHERE e.certificate_id = c.id "
         "ORDER BY e.position), c.trusted FROM certificates c";
}

CertificateRecord read_certificate(const Result& rows, int row) {
  CertificateRecord record;
  record.id = rows.int64(row, 0);
  record.sha256 = rows.text(row, 1);
  record.sha1 = rows.text(row, 2);
  record.der = rows.bytea(row, 3);
  record.subject = rows.text(row, 4);
  record.issuer = rows.text(row, 5);
  record.serial = rows.text(row, 6);
  record.subject_key_id = rows.text(row, 7);
  record.authority_key_id = rows.text(row, 8);
  record.not_before = rows.int64(row, 9);
  record.not_after = rows.int64(row, 10);
  record.key_algorithm = rows.text(row, 11);
  record.key_bits = static_cast<int>(rows.int64(row, 12));
  record.curve = rows.text(row, 13);
  record.key_usages = split(rows.text(row, 14));
  record.extended_key_usages = split(rows.text(row, 15));
  record.can_sign = rows.boolean(row, 16);
  record.can_encrypt = rows.boolean(row, 17);
  record.is_ca = rows.boolean(row, 18);
  record.token_key_id = rows.optional_text(row, 19);
  record.key_exportable = rows.boolean(row, 20);
  record.created_at = rows.int64(row, 21);
  record.updated_at = rows.int64(row, 22);
  record.legacy_rules = split(rows.text(row, 23));
  record.emails = rows.text_array(row, 24);
  record.trusted = rows.boolean(row, 25);
  return record;
}

CertificateSearch certificate_search(const CertificateQuery& query) {
  const std::optional<std::string> prefix = query_prefix(query);
  CertificateSearch search{certificate_select() + " WHERE true", Params()};
  Filters filters(search);
  if (!query.email.empty()) {
    filters.add("c.id IN (SELECT certificate_id FROM certificate_emails WHERE email = ",
                ascii_lower(query.email), ")");
  }
  if (prefix) {
    // Every hex digit sorts below 'g' (COLLATE "C"): the range is exactly the rows starting
    // with the prefix, and uses the unique index on sha256.
    filters.add("c.sha256 >= ", *prefix);
    filters.add("c.sha256 < ", *prefix + "g");
  }
  if (!query.subject_contains.empty()) {
    // strpos: no LIKE wildcards to escape; lower() of COLLATE "C" text is ASCII-only, as
    // SQLite's.
    filters.add("strpos(lower(c.subject), ", ascii_lower(query.subject_contains), ") > 0");
  }
  if (query.has_key) {
    filters.add_condition(*query.has_key ? "c.token_key_id IS NOT NULL" : "c.token_key_id IS NULL");
  }
  if (query.is_ca) filters.add("c.is_ca = ", *query.is_ca);
  if (!query.issuer.empty()) filters.add("c.issuer = ", query.issuer);
  if (!query.serial.empty()) filters.add("c.serial = ", ascii_lower(query.serial));
  if (!query.subject_key_id.empty()) {
    filters.add("c.subject_key_id = ", ascii_lower(query.subject_key_id));
  }
  if (!query.subject.empty()) filters.add("c.subject = ", query.subject);
  search.sql += " ORDER BY c.not_before DESC, c.id DESC";
  if (query.limit > 0) {
    search.params.add(query.limit);
    search.sql += " LIMIT $" + std::to_string(search.params.size());
  }
  return search;
}

}  // namespace smime::store::pg
