#include "migrations.hpp"

#include <array>
#include <chrono>
#include <string>

#include "smime/common/error.hpp"
#include "sqlite_connection.hpp"

namespace smime::store {

namespace {

// Version 1: certificates with their SAN emails, groups, CRLs with their revoked serials.
// Lists (key usages) are comma-separated text: they are only ever read whole. Booleans are
// 0/1 integers; times are unix seconds.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE certificates (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  sha1 TEXT NOT NULL,
  der BLOB NOT NULL,
  subject TEXT NOT NULL,
  issuer TEXT NOT NULL,
  serial TEXT NOT NULL,
  subject_key_id TEXT NOT NULL DEFAULT '',
  authority_key_id TEXT NOT NULL DEFAULT '',
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  key_algorithm TEXT NOT NULL,
  key_bits INTEGER NOT NULL,
  curve TEXT NOT NULL DEFAULT '',
  key_usages TEXT NOT NULL DEFAULT '',
  extended_key_usages TEXT NOT NULL DEFAULT '',
  can_sign INTEGER NOT NULL CHECK (can_sign IN (0, 1)),
  can_encrypt INTEGER NOT NULL CHECK (can_encrypt IN (0, 1)),
  is_ca INTEGER NOT NULL CHECK (is_ca IN (0, 1)),
  token_key_id TEXT NULL,
  key_exportable INTEGER NOT NULL DEFAULT 0 CHECK (key_exportable IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- Chain building looks issuers up by key id; listings sort by not_before.
CREATE INDEX certificates_subject_key_id ON certificates (subject_key_id);
CREATE INDEX certificates_not_before ON certificates (not_before);

CREATE TABLE certificate_emails (
  certificate_id INTEGER NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  PRIMARY KEY (certificate_id, email)
);
CREATE INDEX certificate_emails_email ON certificate_emails (email);

CREATE TABLE groups (
  name TEXT PRIMARY KEY NOT NULL,
  email TEXT NOT NULL,
  behaviour TEXT NOT NULL CHECK (behaviour IN ('sign-encrypt', 'sign', 'encrypt', 'none')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One CRL per issuer: a newer one replaces it (and its entries, by cascade).
CREATE TABLE crls (
  id INTEGER PRIMARY KEY,
  issuer TEXT NOT NULL,
  issuer_sha256 TEXT NOT NULL,
  der BLOB NOT NULL,
  this_update INTEGER NOT NULL,
  next_update INTEGER NOT NULL DEFAULT 0,
  crl_number TEXT NOT NULL DEFAULT '',
  imported_at INTEGER NOT NULL,
  UNIQUE (issuer)
);

CREATE TABLE revoked_certificates (
  crl_id INTEGER NOT NULL REFERENCES crls (id) ON DELETE CASCADE,
  serial TEXT NOT NULL,
  revoked_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (crl_id, serial)
);
)sql";

constexpr std::array<Migration, 1> kMigrations{{
    {1, "certificates, certificate emails, groups, CRLs, revoked certificates", kVersion1},
}};

constexpr bool versions_are_consecutive() {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) {
      return false;
    }
  }
  return true;
}
static_assert(versions_are_consecutive(), "migration versions must be 1, 2, 3, ... in order");

void require_known(int version) {
  if (version > latest_version()) {
    throw Error(ErrorCode::unsupported,
                "The database has schema version " + std::to_string(version) +
                    ", newer than this build supports (" + std::to_string(latest_version()) +
                    "); run a newer version of the software or restore a backup");
  }
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

int latest_version() {
  return kMigrations.back().version;
}

int current_version(Connection& connection) {
  Statement exists = connection.prepare(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'");
  if (!exists.step() || exists.int64(0) == 0) {
    return 0;
  }
  Statement version = connection.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  return version.step() ? static_cast<int>(version.int64(0)) : 0;
}

void migrate(Connection& connection) {
  // The common case, an up-to-date file, takes no write lock.
  const int found = current_version(connection);
  require_known(found);
  if (found == latest_version()) {
    return;
  }
  {
    Transaction transaction(connection);
    connection.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    transaction.commit();
  }
  for (const Migration& migration : kMigrations) {
    // Re-read under the write lock: another process may have applied this step meanwhile.
    Transaction transaction(connection);
    const int current = current_version(connection);
    require_known(current);
    if (current >= migration.version) {
      continue;
    }
    connection.exec(migration.sql);
    connection.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)")
        .bind(1, migration.version)
        .bind(2, unix_now())
        .run();
    transaction.commit();
  }
}

}  // namespace smime::store
