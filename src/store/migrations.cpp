#include "migrations.hpp"

#include <array>
#include <chrono>
#include <string>

#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/sqlite/connection.hpp"

namespace smime::store {

using sqlite::Statement;
using sqlite::Transaction;

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

// Version 2: a counter that every change of certificates or CRLs bumps, in the same
// transaction, so caches of parsed certificates (the S/MIME engine's trust anchors) notice
// changes made by any process with one cheap read.
constexpr std::string_view kVersion2 = R"sql(
CREATE TABLE store_revision (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL
);
INSERT INTO store_revision (id, revision) VALUES (1, 1);
CREATE TRIGGER certificates_insert_revision AFTER INSERT ON certificates
  BEGIN UPDATE store_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER certificates_update_revision AFTER UPDATE ON certificates
  BEGIN UPDATE store_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER certificates_delete_revision AFTER DELETE ON certificates
  BEGIN UPDATE store_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER crls_insert_revision AFTER INSERT ON crls
  BEGIN UPDATE store_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER crls_update_revision AFTER UPDATE ON crls
  BEGIN UPDATE store_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER crls_delete_revision AFTER DELETE ON crls
  BEGIN UPDATE store_revision SET revision = revision + 1 WHERE id = 1; END;
)sql";

// Version 3: API tokens. Only the SHA-256 of the secret is stored; the id is what the audit
// log names as the actor.
constexpr std::string_view kVersion3 = R"sql(
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'auditor')),
  secret_sha256 TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
)sql";

// Version 4: the audit log (src/audit). Each row's hash covers its own fields (id included)
// and the previous row's hash, so an edited, deleted or moved row breaks the chain
// (smimectl log verify). audit_head holds the newest row's id and hash and the row count,
// updated in the same transaction as every append: deleting rows at the end then also needs
// a consistent edit of audit_head. The triggers make the table append-only for every
// ordinary writer; someone who drops them is what the hash chain is for.
constexpr std::string_view kVersion4 = R"sql(
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing', 'admin')),
  operation TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
  message_id TEXT NOT NULL DEFAULT '',
  addresses TEXT NOT NULL DEFAULT '[]',
  fingerprints TEXT NOT NULL DEFAULT '[]',
  detail TEXT NOT NULL DEFAULT '',
  needs TEXT NOT NULL DEFAULT '[]',
  previous_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_id INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, entries, hash)
  VALUES (1, 0, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
  BEGIN SELECT RAISE(ABORT, 'the audit log head cannot be deleted'); END;
)sql";

// Version 5: what listing the audit log and checking the node's health need without reading
// the whole log, and the token keys the appliance itself uses. audit_counts is kept in the
// same transaction as every append (statistics: the hash chain does not cover it).
constexpr std::string_view kVersion5 = R"sql(
CREATE TABLE audit_counts (
  direction TEXT NOT NULL,
  operation TEXT NOT NULL,
  status TEXT NOT NULL,
  entries INTEGER NOT NULL,
  PRIMARY KEY (direction, operation, status)
) WITHOUT ROWID;
INSERT INTO audit_counts (direction, operation, status, entries)
  SELECT direction, operation, status, count(*) FROM audit_log
  GROUP BY direction, operation, status;
CREATE TABLE health_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at_ms INTEGER NOT NULL
);
INSERT INTO health_probe (id, at_ms) VALUES (1, 0);
CREATE TABLE reserved_keys (
  key_id TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  reserved_at INTEGER NOT NULL
);
)sql";

// Version 6: trust anchors apart from the certificates kept for path building. Rows stored
// before were all anchors, and stay so (an administrator can change each one).
constexpr std::string_view kVersion6 = R"sql(
ALTER TABLE certificates ADD COLUMN trusted INTEGER NOT NULL DEFAULT 1 CHECK (trusted IN (0, 1));
)sql";

// Version 7: the rules a certificate passed only under the legacy-certificate policy (issue 17),
// comma-separated; empty for every certificate stored before.
constexpr std::string_view kVersion7 = R"sql(
ALTER TABLE certificates ADD COLUMN legacy_rules TEXT NOT NULL DEFAULT '';
)sql";

// Version 8: a change of the groups bumps the revision too, so the engine keeps the group list
// between requests (one query less per message) and still sees every change at once.
constexpr std::string_view kVersion8 = R"sql(
CREATE TRIGGER groups_insert_revision AFTER INSERT ON groups
  BEGIN UPDATE store_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER groups_update_revision AFTER UPDATE ON groups
  BEGIN UPDATE store_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER groups_delete_revision AFTER DELETE ON groups
  BEGIN UPDATE store_revision SET revision = revision + 1 WHERE id = 1; END;
)sql";

// Version 9: an incoming message's signature layers with their checks (issue 16 item 5), as
// JSON; empty for every entry recorded before (their hashes do not cover the column).
constexpr std::string_view kVersion9 = R"sql(
ALTER TABLE audit_log ADD COLUMN signatures TEXT NOT NULL DEFAULT '';
)sql";

// Version 10: the SMIMECapabilities a contact announced in verified signed mail, one row per
// stored certificate (issue 17 item 5); comma-separated in the announced order.
constexpr std::string_view kVersion10 = R"sql(
CREATE TABLE certificate_capabilities (
  certificate_id INTEGER PRIMARY KEY REFERENCES certificates (id) ON DELETE CASCADE,
  capabilities TEXT NOT NULL,
  signing_time INTEGER NOT NULL,
  message_id TEXT NOT NULL DEFAULT '',
  recorded_at INTEGER NOT NULL
);
)sql";

// Version 11: a group's own verification policy for incoming mail to its address (issue 16
// item 3): NULL keeps the appliance's [verification] revocation / reject_sha1.
constexpr std::string_view kVersion11 = R"sql(
ALTER TABLE groups ADD COLUMN revocation TEXT CHECK (revocation IN ('soft', 'hard'));
ALTER TABLE groups ADD COLUMN reject_sha1 INTEGER CHECK (reject_sha1 IN (0, 1));
)sql";

constexpr std::array<Migration, 11> kMigrations{{
    {1, "certificates, certificate emails, groups, CRLs, revoked certificates", kVersion1},
    {2, "store revision counter for caches of certificates and CRLs", kVersion2},
    {3, "API tokens (hashed secrets, roles)", kVersion3},
    {4, "hash-chained audit log", kVersion4},
    {5, "audit entry counts, health probe row, reserved token keys", kVersion5},
    {6, "trusted flag of certificates (trust anchors)", kVersion6},
    {7, "certificates accepted under the legacy-certificate policy", kVersion7},
    {8, "groups bump the store revision", kVersion8},
    {9, "signature layers of audit entries", kVersion9},
    {10, "capabilities announced in verified signed mail", kVersion10},
    {11, "verification policy of groups", kVersion11},
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
        .bind(2, unix_seconds_now())
        .run();
    transaction.commit();
  }
}

}  // namespace smime::store
