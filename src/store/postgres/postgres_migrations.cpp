#include "postgres_migrations.hpp"

#include <array>
#include <string>

#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/postgres/connection.hpp"
#include "smime/postgres/transaction.hpp"

namespace smime::store::pg {

using postgres::Connection;
using postgres::Params;

namespace {

// Version 1: certificates with their SAN emails (in their order), groups, CRLs with their
// revoked serials, and the revision counter that every change of certificates or CRLs bumps in
// the same transaction (by trigger, per changed row, as in the SQLite schema), so that caches
// on every node notice a change with one cheap read. Text that is compared or sorted is
// COLLATE "C": byte order, as SQLite's BINARY, whatever the database's locale, so the
// fingerprint prefix range [p, p || 'g') holds and ordering matches the SQLite store. Times
// are unix seconds.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE certificates (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sha256 TEXT COLLATE "C" NOT NULL UNIQUE,
  sha1 TEXT NOT NULL,
  der BYTEA NOT NULL,
  subject TEXT COLLATE "C" NOT NULL,
  issuer TEXT COLLATE "C" NOT NULL,
  serial TEXT COLLATE "C" NOT NULL,
  subject_key_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  authority_key_id TEXT NOT NULL DEFAULT '',
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  key_algorithm TEXT NOT NULL,
  key_bits INTEGER NOT NULL,
  curve TEXT NOT NULL DEFAULT '',
  key_usages TEXT NOT NULL DEFAULT '',
  extended_key_usages TEXT NOT NULL DEFAULT '',
  can_sign BOOLEAN NOT NULL,
  can_encrypt BOOLEAN NOT NULL,
  is_ca BOOLEAN NOT NULL,
  token_key_id TEXT NULL,
  key_exportable BOOLEAN NOT NULL DEFAULT false,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
-- Chain building looks issuers up by key id and by name; listings sort by not_before.
CREATE INDEX certificates_subject_key_id ON certificates (subject_key_id);
CREATE INDEX certificates_issuer_serial ON certificates (issuer, serial);
CREATE INDEX certificates_not_before ON certificates (not_before);

CREATE TABLE certificate_emails (
  certificate_id BIGINT NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  email TEXT COLLATE "C" NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (certificate_id, email)
);
CREATE INDEX certificate_emails_email ON certificate_emails (email);

CREATE TABLE groups (
  name TEXT COLLATE "C" PRIMARY KEY,
  email TEXT NOT NULL,
  behaviour TEXT NOT NULL CHECK (behaviour IN ('sign-encrypt', 'sign', 'encrypt', 'none')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One CRL per issuer: a newer one replaces it (and its entries, by cascade).
CREATE TABLE crls (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  issuer TEXT COLLATE "C" NOT NULL UNIQUE,
  issuer_sha256 TEXT NOT NULL,
  der BYTEA NOT NULL,
  this_update BIGINT NOT NULL,
  next_update BIGINT NOT NULL DEFAULT 0,
  crl_number TEXT NOT NULL DEFAULT '',
  imported_at BIGINT NOT NULL
);

CREATE TABLE revoked_certificates (
  crl_id BIGINT NOT NULL REFERENCES crls (id) ON DELETE CASCADE,
  serial TEXT COLLATE "C" NOT NULL,
  revoked_at BIGINT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (crl_id, serial)
);

CREATE TABLE store_revision (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision BIGINT NOT NULL
);
INSERT INTO store_revision (id, revision) VALUES (1, 1);
CREATE FUNCTION bump_store_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE store_revision SET revision = revision + 1 WHERE id = 1;
  RETURN NULL;
END;
$$;
CREATE TRIGGER certificates_revision AFTER INSERT OR UPDATE OR DELETE ON certificates
  FOR EACH ROW EXECUTE FUNCTION bump_store_revision();
CREATE TRIGGER crls_revision AFTER INSERT OR UPDATE OR DELETE ON crls
  FOR EACH ROW EXECUTE FUNCTION bump_store_revision();
)sql";

// Version 2: API tokens. Only the SHA-256 of the secret is stored; the id is what the audit
// log names as the actor.
constexpr std::string_view kVersion2 = R"sql(
CREATE TABLE api_tokens (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'auditor')),
  secret_sha256 TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);
)sql";

// Version 3: the row probe_writable() writes, and the token keys the appliance itself uses.
constexpr std::string_view kVersion3 = R"sql(
CREATE TABLE health_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at_ms BIGINT NOT NULL
);
INSERT INTO health_probe (id, at_ms) VALUES (1, 0);
CREATE TABLE reserved_keys (
  key_id TEXT COLLATE "C" PRIMARY KEY,
  purpose TEXT NOT NULL,
  reserved_at BIGINT NOT NULL
);
)sql";

// Version 4: the audit log (src/audit), as in the SQLite schema: each row's hash covers its
// own fields and the previous row's hash; audit_head holds the newest row's id and hash and
// the row count, and is the row every appender locks (SELECT ... FOR UPDATE), so that nodes
// appending at once extend one chain; audit_counts are statistics kept with every append. The
// triggers make the log append-only for every ordinary writer (TRUNCATE included).
constexpr std::string_view kVersion4 = R"sql(
CREATE TABLE audit_log (
  id BIGINT PRIMARY KEY,
  at_ms BIGINT NOT NULL,
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
CREATE INDEX audit_log_hash ON audit_log (hash);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_id BIGINT NOT NULL,
  entries BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, entries, hash)
  VALUES (1, 0, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE audit_counts (
  direction TEXT NOT NULL,
  operation TEXT NOT NULL,
  status TEXT NOT NULL,
  entries BIGINT NOT NULL,
  PRIMARY KEY (direction, operation, status)
);
CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0];
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_refuse('the audit log is append-only');
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse('the audit log is append-only');
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_refuse('the audit log head cannot be deleted');
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse('the audit log head cannot be deleted');
)sql";

// Version 5: trust anchors apart from the certificates kept for path building (as SQLite's
// version 6). Rows stored before were all anchors, and stay so.
constexpr std::string_view kVersion5 = R"sql(
ALTER TABLE certificates ADD COLUMN trusted BOOLEAN NOT NULL DEFAULT true;
)sql";

// Version 6: the rules a certificate passed only under the legacy-certificate policy (issue 17,
// SQLite's version 7), comma-separated; empty for every certificate stored before.
constexpr std::string_view kVersion6 = R"sql(
ALTER TABLE certificates ADD COLUMN legacy_rules TEXT NOT NULL DEFAULT '';
)sql";

// Version 7: a change of the groups bumps the revision too (the engine's group list cache).
constexpr std::string_view kVersion7 = R"sql(
CREATE TRIGGER groups_revision AFTER INSERT OR UPDATE OR DELETE ON groups
  FOR EACH ROW EXECUTE FUNCTION bump_store_revision();
)sql";

// Version 8: an incoming message's signature layers with their checks (issue 16 item 5,
// SQLite's version 9), as JSON; empty for every entry recorded before.
constexpr std::string_view kVersion8 = R"sql(
ALTER TABLE audit_log ADD COLUMN signatures TEXT NOT NULL DEFAULT '';
)sql";

// Version 9: the SMIMECapabilities a contact announced in verified signed mail, one row per
// stored certificate (issue 17 item 5, SQLite's version 10); comma-separated, announced order.
constexpr std::string_view kVersion9 = R"sql(
CREATE TABLE certificate_capabilities (
  certificate_id BIGINT PRIMARY KEY REFERENCES certificates (id) ON DELETE CASCADE,
  capabilities TEXT NOT NULL,
  signing_time BIGINT NOT NULL,
  message_id TEXT NOT NULL DEFAULT '',
  recorded_at BIGINT NOT NULL
);
)sql";

// Version 10: a group's own verification policy for incoming mail to its address (issue 16
// item 3, SQLite's version 11): NULL keeps the appliance's [verification] setting.
constexpr std::string_view kVersion10 = R"sql(
ALTER TABLE groups ADD COLUMN revocation TEXT CHECK (revocation IN ('soft', 'hard'));
ALTER TABLE groups ADD COLUMN reject_sha1 BOOLEAN;
)sql";

constexpr std::array<Migration, 10> kMigrations{{
    {1, "certificates, emails, groups, CRLs, revoked certificates, store revision", kVersion1},
    {2, "API tokens (hashed secrets, roles)", kVersion2},
    {3, "health probe row, reserved token keys", kVersion3},
    {4, "hash-chained audit log, its head and counts", kVersion4},
    {5, "trusted flag of certificates (trust anchors)", kVersion5},
    {6, "certificates accepted under the legacy-certificate policy", kVersion6},
    {7, "groups bump the store revision", kVersion7},
    {8, "signature layers of audit entries", kVersion8},
    {9, "capabilities announced in verified signed mail", kVersion9},
    {10, "verification policy of groups", kVersion10},
}};

constexpr bool versions_are_consecutive() {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
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
  // to_regclass: NULL (no error, so no aborted transaction) while the table does not exist.
  if (connection.execute("SELECT to_regclass('schema_version') IS NOT NULL").text(0, 0) != "t") {
    return 0;
  }
  return static_cast<int>(
      connection.execute("SELECT coalesce(max(version), 0) FROM schema_version").int64(0, 0));
}

void migrate(Connection& connection) {
  // The common case, an up-to-date database, takes no lock.
  const int found = current_version(connection);
  require_known(found);
  if (found == latest_version()) return;
  postgres::run_transaction(connection, [](Connection& locked) {
    // Taken before anything else, even creating schema_version: two sessions racing through
    // CREATE TABLE IF NOT EXISTS can both fail on the catalog's unique index.
    postgres::advisory_xact_lock(locked, kMigrationLockKey);
    locked.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
        "summary TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    const int current = current_version(locked);  // another node may have migrated meanwhile
    require_known(current);
    for (const Migration& migration : kMigrations) {
      if (migration.version <= current) continue;
      locked.exec(migration.sql);
      locked.execute(
          "INSERT INTO schema_version (version, summary, applied_at) VALUES ($1, $2, $3)",
          Params().add(migration.version).add(migration.summary).add(unix_seconds_now()));
    }
  });
}

}  // namespace smime::store::pg
