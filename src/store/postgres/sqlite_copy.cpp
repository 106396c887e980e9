// store::copy_sqlite_to_postgres: an SQLite appliance's rows, verbatim, into a new PostgreSQL
// database (smimectl db copy). Each table is streamed: a row read from the SQLite snapshot is
// inserted at once (statements prepared once per connection), so memory stays bounded at any
// size of the audit log.
#include <sqlite3.h>

#include <array>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "migrations.hpp"
#include "postgres_migrations.hpp"
#include "smime/common/error.hpp"
#include "smime/postgres/connection.hpp"
#include "smime/postgres/transaction.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/store/postgres_store.hpp"

namespace smime::store {
namespace {

using postgres::Params;

// "smime-store-db-copy" as a number: held while a copy checks and fills the target.
constexpr std::int64_t kCopyLockKey = 0x736d696d652d6370;

// How a column goes from SQLite to PostgreSQL: the types of the two schemas.
enum class Kind {
  text,
  integer,
  boolean,
  bytes,
  nullable_text,
  nullable_integer,
  nullable_boolean
};

struct TableCopy {
  std::string_view table;
  std::string_view select;  // SQLite, columns in the order of `insert`'s parameters
  std::string_view insert;  // PostgreSQL, $1, $2, ...
  std::vector<Kind> columns;
};

// Parents before children (foreign keys). Identity columns keep their values (OVERRIDING
// SYSTEM VALUE); the SQLite emails' order (rowid) becomes PostgreSQL's position column.
const std::vector<TableCopy>& table_copies() {
  using enum Kind;
  static const std::vector<TableCopy> copies = {
      {"certificates",
       "SELECT id, sha256, sha1, der, subject, issuer, serial, subject_key_id, "
       "authority_key_id, not_before, not_after, key_algorithm, key_bits, curve, key_usages, "
       "extended_key_usages, can_sign, can_encrypt, is_ca, token_key_id, key_exportable, "
       "created_at, updated_at, trusted, legacy_rules FROM certificates ORDER BY id",
       "INSERT INTO certificates (id, sha256, sha1, der, subject, issuer, serial, "
       "subject_key_id, authority_key_id, not_before, not_after, key_algorithm, key_bits, curve, "
       "key_usages, extended_key_usages, can_sign, can_encrypt, is_ca, token_key_id, "
       "key_exportable, created_at, updated_at, trusted, legacy_rules) OVERRIDING SYSTEM VALUE "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
       "$19, $20, $21, $22, $23, $24, $25)",
       {integer, text,          text,    bytes,   text,    text,    text, text,    text,
        integer, integer,       text,    integer, text,    text,    text, boolean, boolean,
        boolean, nullable_text, boolean, integer, integer, boolean, text}},
      {"certificate_emails",
       "SELECT certificate_id, email, row_number() OVER (PARTITION BY certificate_id "
       "ORDER BY rowid) FROM certificate_emails ORDER BY certificate_id, rowid",
       "INSERT INTO certificate_emails (certificate_id, email, position) VALUES ($1, $2, $3)",
       {integer, text, integer}},
      {"certificate_capabilities",
       "SELECT certificate_id, capabilities, signing_time, message_id, recorded_at "
       "FROM certificate_capabilities ORDER BY certificate_id",
       "INSERT INTO certificate_capabilities (certificate_id, capabilities, signing_time, "
       "message_id, recorded_at) VALUES ($1, $2, $3, $4, $5)",
       {integer, text, integer, text, integer}},
      {"groups",
       "SELECT name, email, behaviour, created_at, updated_at, revocation, reject_sha1 "
       "FROM groups ORDER BY name",
       "INSERT INTO groups (name, email, behaviour, created_at, updated_at, revocation, "
       "reject_sha1) VALUES ($1, $2, $3, $4, $5, $6, $7)",
       {text, text, text, integer, integer, nullable_text, nullable_boolean}},
      {"crls",
       "SELECT id, issuer, issuer_sha256, der, this_update, next_update, crl_number, "
       "imported_at FROM crls ORDER BY id",
       "INSERT INTO crls (id, issuer, issuer_sha256, der, this_update, next_update, crl_number, "
       "imported_at) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
       {integer, text, text, bytes, integer, integer, text, integer}},
      {"revoked_certificates",
       "SELECT crl_id, serial, revoked_at, reason FROM revoked_certificates "
       "ORDER BY crl_id, serial",
       "INSERT INTO revoked_certificates (crl_id, serial, revoked_at, reason) "
       "VALUES ($1, $2, $3, $4)",
       {integer, text, integer, text}},
      {"api_tokens",
       "SELECT id, name, role, secret_sha256, created_at, last_used_at, revoked_at "
       "FROM api_tokens ORDER BY id",
       "INSERT INTO api_tokens (id, name, role, secret_sha256, created_at, last_used_at, "
       "revoked_at) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7)",
       {integer, text, text, text, integer, nullable_integer, nullable_integer}},
      // A node started on the empty target may have reserved the same key already.
      {"reserved_keys",
       "SELECT key_id, purpose, reserved_at FROM reserved_keys ORDER BY key_id",
       "INSERT INTO reserved_keys (key_id, purpose, reserved_at) VALUES ($1, $2, $3) "
       "ON CONFLICT (key_id) DO NOTHING",
       {text, text, integer}},
      {"audit_log",
       "SELECT id, at_ms, actor, direction, operation, status, message_id, addresses, "
       "fingerprints, detail, needs, previous_hash, hash, signatures FROM audit_log ORDER BY id",
       "INSERT INTO audit_log (id, at_ms, actor, direction, operation, status, message_id, "
       "addresses, fingerprints, detail, needs, previous_hash, hash, signatures) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
       {integer, integer, text, text, text, text, text, text, text, text, text, text, text, text}},
      {"audit_counts",
       "SELECT direction, operation, status, entries FROM audit_counts "
       "ORDER BY direction, operation, status",
       "INSERT INTO audit_counts (direction, operation, status, entries) "
       "VALUES ($1, $2, $3, $4)",
       {text, text, text, integer}},
  };
  return copies;
}

void add_column(Params& params, const sqlite::Statement& row, int column, Kind kind) {
  switch (kind) {
    case Kind::text:
      params.add(row.text(column));
      return;
    case Kind::integer:
      params.add(row.int64(column));
      return;
    case Kind::boolean:
      params.add(row.boolean(column));
      return;
    case Kind::bytes:
      params.add(row.blob(column));
      return;
    case Kind::nullable_text:
      params.add(row.optional_text(column));
      return;
    case Kind::nullable_integer:
      if (row.is_null(column)) {
        params.add_null();
      } else {
        params.add(row.int64(column));
      }
      return;
    case Kind::nullable_boolean:
      if (row.is_null(column)) {
        params.add_null();
      } else {
        params.add(row.boolean(column));
      }
      return;
  }
}

std::int64_t copy_table(sqlite::Connection& source, postgres::Connection& target,
                        const TableCopy& copy) {
  sqlite::Statement rows = source.prepare(copy.select);
  std::int64_t copied = 0;
  while (rows.step()) {
    Params params;
    for (std::size_t i = 0; i < copy.columns.size(); ++i) {
      add_column(params, rows, static_cast<int>(i), copy.columns[i]);
    }
    target.execute(copy.insert, params);
    ++copied;
  }
  return copied;
}

// A DEFERRED read transaction on the source: every table is read from one snapshot (WAL lets
// writers go on meanwhile). Ended by the destructor.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(sqlite::Connection& connection) : connection_(connection) {
    connection_.exec("BEGIN DEFERRED");
  }
  ~ReadSnapshot() { sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr); }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite::Connection& connection_;
};

void require_source_version(const std::filesystem::path& file, int version) {
  if (version == latest_version()) return;
  const std::string found = "The SQLite database " + file.string() + " has schema version " +
                            std::to_string(version) + ", ";
  if (version > latest_version()) {
    throw Error(ErrorCode::unsupported, found + "newer than this build supports (" +
                                            std::to_string(latest_version()) +
                                            "); copy it with a newer version of the software");
  }
  throw Error(ErrorCode::unsupported,
              found + "this version copies only version " + std::to_string(latest_version()) +
                  ": open it once with this version to migrate it (smimectl db migrate with "
                  "[store] url empty), then copy again");
}

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Everything but the reserved keys, which a node started on the empty target may have made.
void require_empty(postgres::Connection& target) {
  const postgres::Result counts = target.execute(
      "SELECT (SELECT count(*) FROM certificates), (SELECT count(*) FROM groups), "
      "(SELECT count(*) FROM crls), (SELECT count(*) FROM api_tokens), "
      "(SELECT count(*) FROM audit_log)");
  const std::array<std::int64_t, 5> n = {counts.int64(0, 0), counts.int64(0, 1), counts.int64(0, 2),
                                         counts.int64(0, 3), counts.int64(0, 4)};
  if (n[0] + n[1] + n[2] + n[3] + n[4] == 0) return;
  throw Error(ErrorCode::conflict,
              "The PostgreSQL database is not empty (it holds " +
                  plural(n[0], "certificate", "certificates") + ", " +
                  plural(n[1], "group", "groups") + ", " + plural(n[2], "CRL", "CRLs") + ", " +
                  plural(n[3], "API token", "API tokens") + ", " +
                  plural(n[4], "audit entry", "audit entries") +
                  "): db copy fills only a new, empty database; nothing was copied");
}

CopiedAuditHead read_audit_head(sqlite::Connection& source) {
  sqlite::Statement head =
      source.prepare("SELECT last_id, entries, hash FROM audit_head WHERE id = 1");
  if (!head.step()) {
    throw Error(ErrorCode::storage_failure, "The SQLite database has no audit log head");
  }
  return CopiedAuditHead{head.int64(0), head.int64(1), head.text(2)};
}

std::int64_t source_single(sqlite::Connection& source, std::string_view sql) {
  sqlite::Statement row = source.prepare(sql);
  return row.step() ? row.int64(0) : 0;
}

// The rows of one id each: the audit head (its triggers refuse only DELETE and TRUNCATE), the
// health probe, and a store revision above both sides' (caches keyed by a revision a node saw
// on the empty target must notice the copy).
void copy_single_rows(sqlite::Connection& source, postgres::Connection& target,
                      CopyReport& report) {
  report.audit_head = read_audit_head(source);
  target.execute("UPDATE audit_head SET last_id = $1, entries = $2, hash = $3 WHERE id = 1",
                 Params()
                     .add(report.audit_head.last_id)
                     .add(report.audit_head.entries)
                     .add(report.audit_head.hash));
  target.execute("UPDATE health_probe SET at_ms = $1 WHERE id = 1",
                 Params().add(source_single(source, "SELECT at_ms FROM health_probe")));
  const std::int64_t revision =
      source_single(source, "SELECT revision FROM store_revision WHERE id = 1");
  report.revision = target
                        .execute(
                            "UPDATE store_revision SET revision = GREATEST(revision, $1) + 1 "
                            "WHERE id = 1 RETURNING revision",
                            Params().add(revision))
                        .int64(0, 0);
}

// The next generated id of each identity column follows the copied ones.
void set_sequences(postgres::Connection& target) {
  for (const char* table : {"certificates", "crls", "api_tokens"}) {
    const std::string name(table);
    target.execute("SELECT setval(pg_get_serial_sequence('" + name +
                   "', 'id'), coalesce(max(id), 0) + 1, false) FROM " + name);
  }
}

void fill_target(sqlite::Connection& source, postgres::Connection& target, CopyReport& report) {
  // No other writer meanwhile: readers go on, writers (other nodes) wait for the commit.
  postgres::advisory_xact_lock(target, kCopyLockKey);
  target.exec(
      "LOCK TABLE certificates, certificate_emails, groups, crls, revoked_certificates, "
      "api_tokens, reserved_keys, audit_log, audit_head, audit_counts, store_revision, "
      "health_probe IN EXCLUSIVE MODE");
  require_empty(target);
  report.tables.clear();
  for (const TableCopy& copy : table_copies()) {
    report.tables.push_back({std::string(copy.table), copy_table(source, target, copy)});
  }
  copy_single_rows(source, target, report);
  set_sequences(target);
}

}  // namespace

CopyReport copy_sqlite_to_postgres(const std::filesystem::path& sqlite_file,
                                   const std::string& url) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(sqlite_file, ec)) {
    throw Error(ErrorCode::not_found,
                "No SQLite database at " + sqlite_file.string() + ": nothing to copy");
  }
  CopyReport report;
  report.source = sqlite_file;
  sqlite::Connection source = sqlite::Connection::open_plain(sqlite_file);
  ReadSnapshot snapshot(source);
  // The first read fixes the snapshot; the source is checked before the target is touched.
  report.source_schema_version = current_version(source);
  require_source_version(sqlite_file, report.source_schema_version);

  postgres::Connection target = postgres::Connection::open(url);
  pg::migrate(target);
  report.target_schema_version = pg::current_version(target);
  postgres::run_transaction(
      target, [&](postgres::Connection& locked) { fill_target(source, locked, report); });
  return report;
}

}  // namespace smime::store
