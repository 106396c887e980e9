// smime::store::PostgresStore: the Store interface on a pool of PostgreSQL connections.
#include "smime/store/postgres_store.hpp"

#include <utility>

#include "certificate_rows.hpp"
#include "postgres_backup.hpp"
#include "postgres_migrations.hpp"
#include "record_rules.hpp"
#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/common/text.hpp"
#include "smime/postgres/array_literal.hpp"
#include "smime/postgres/database.hpp"
#include "smime/store/names.hpp"

namespace smime::store {

using postgres::Connection;
using postgres::Params;
using postgres::Result;

namespace {

constexpr std::string_view kCrlColumns =
    "id, issuer, issuer_sha256, der, this_update, next_update, crl_number, imported_at";
constexpr std::string_view kGroupColumns =
    "name, email, behaviour, created_at, updated_at, revocation, reject_sha1";

CrlRecord read_crl(const Result& rows, int row) {
  CrlRecord crl;
  crl.id = rows.int64(row, 0);
  crl.issuer = rows.text(row, 1);
  crl.issuer_sha256 = rows.text(row, 2);
  crl.der = rows.bytea(row, 3);
  crl.this_update = rows.int64(row, 4);
  crl.next_update = rows.int64(row, 5);
  crl.crl_number = rows.text(row, 6);
  crl.imported_at = rows.int64(row, 7);
  return crl;
}

GroupRecord read_group(const Result& rows, int row) {
  GroupRecord group;
  group.name = rows.text(row, 0);
  group.email = rows.text(row, 1);
  const auto behaviour = parse_default_behaviour(rows.text(row, 2));
  if (!behaviour) {  // the CHECK constraint makes this a damaged database
    throw Error(ErrorCode::internal, "Group " + group.name + " has an unknown behaviour");
  }
  group.behaviour = *behaviour;
  group.created_at = rows.int64(row, 3);
  group.updated_at = rows.int64(row, 4);
  if (!rows.is_null(row, 5)) group.revocation_hard = rows.text(row, 5) == "hard";
  if (!rows.is_null(row, 6)) group.reject_sha1 = rows.boolean(row, 6);
  return group;
}

// Writers of certificates and CRLs take the revision row first: they then run one after the
// other, as under SQLite's write lock, so a check (is this fingerprint taken? is the stored
// CRL newer?) and the write after it see every change committed before, on any node. Their
// triggers update this row anyway, so this costs no concurrency.
void lock_revision(Connection& db) {
  db.execute("SELECT revision FROM store_revision WHERE id = 1 FOR UPDATE");
}

void insert_emails(Connection& db, std::int64_t certificate_id,
                   const std::vector<std::string>& emails) {
  if (emails.empty()) return;
  db.execute(
      "INSERT INTO certificate_emails (certificate_id, email, position) "
      "SELECT $1, email, position FROM unnest($2::text[]) WITH ORDINALITY AS e(email, position)",
      Params().add(certificate_id).add(postgres::to_array_literal(emails)));
}

void insert_revoked(Connection& db, std::int64_t crl_id, const std::vector<RevokedEntry>& revoked) {
  if (revoked.empty()) return;
  std::vector<std::string> serials;
  std::vector<std::int64_t> times;
  std::vector<std::string> reasons;
  for (const auto& item : revoked) {
    serials.push_back(ascii_lower(item.serial));
    times.push_back(item.revoked_at);
    reasons.push_back(item.reason);
  }
  // A serial listed twice in one CRL keeps its first entry rather than failing the import.
  db.execute(
      "INSERT INTO revoked_certificates (crl_id, serial, revoked_at, reason) "
      "SELECT $1, serial, revoked_at, reason FROM unnest($2::text[], $3::bigint[], $4::text[]) "
      "WITH ORDINALITY AS r(serial, revoked_at, reason, position) ORDER BY position "
      "ON CONFLICT DO NOTHING",
      Params()
          .add(crl_id)
          .add(postgres::to_array_literal(serials))
          .add(postgres::to_array_literal(times))
          .add(postgres::to_array_literal(reasons)));
}

}  // namespace

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::shared_ptr<postgres::Database> database)
      : database_(std::move(database)) {}

  void in_transaction(const std::function<void()>& body) override {
    database_->in_transaction([&](Connection&) { body(); });
  }

  CertificateRecord insert_certificate(const CertificateRecord& record) override {
    CertificateRecord stored = normalised_certificate(record);
    database_->in_transaction([&](Connection& db) {
      lock_revision(db);
      if (!db.execute("SELECT 1 FROM certificates WHERE sha256 = $1", Params().add(stored.sha256))
               .empty()) {
        throw Error(ErrorCode::conflict, "Fingerprint already taken");
      }
      stored.created_at = stored.updated_at = unix_seconds_now();
      stored.id = insert_certificate_row(db, stored);
      insert_emails(db, stored.id, stored.emails);
    });
    return stored;
  }

  std::optional<CertificateRecord> certificate(std::string_view fingerprint) override {
    const std::string hex = lookup_prefix(fingerprint);
    const Result rows = database_->query([&](Connection& db) {
      return db.execute(
          pg::certificate_select() + " WHERE c.sha256 >= $1 AND c.sha256 < $2 LIMIT 2",
          Params().add(hex).add(hex + "g"));
    });
    if (rows.empty()) return std::nullopt;
    if (rows.rows() > 1) {
      throw Error(ErrorCode::conflict,
                  "Fingerprint prefix " + hex + " matches several certificates");
    }
    return pg::read_certificate(rows, 0);
  }

  std::vector<CertificateRecord> find_certificates(const CertificateQuery& query) override {
    const pg::CertificateSearch search = pg::certificate_search(query);
    const Result rows =
        database_->query([&](Connection& db) { return db.execute(search.sql, search.params); });
    return rows.map_rows(pg::read_certificate);
  }

  bool set_certificate_key(std::string_view sha256, const std::optional<std::string>& key_id,
                           bool exportable) override {
    const std::string fingerprint = full_fingerprint(sha256);
    return database_->transact([&](Connection& db) {
      // Without a key there is nothing to export: clearing the key clears the flag too.
      return db.execute(
                   "UPDATE certificates SET token_key_id = $1, key_exportable = $2, "
                   "updated_at = $3 WHERE sha256 = $4",
                   Params()
                       .add(key_id)
                       .add(key_id.has_value() && exportable)
                       .add(unix_seconds_now())
                       .add(fingerprint))
                 .affected_rows() > 0;
    });
  }

  bool delete_certificate(std::string_view sha256) override {
    const std::string fingerprint = full_fingerprint(sha256);
    return database_->transact([&](Connection& db) {
      // The emails go with it (ON DELETE CASCADE).
      return db.execute("DELETE FROM certificates WHERE sha256 = $1", Params().add(fingerprint))
                 .affected_rows() > 0;
    });
  }

  bool set_certificate_trust(std::string_view sha256, bool trusted) override {
    const std::string fingerprint = full_fingerprint(sha256);
    return database_->transact([&](Connection& db) {
      lock_revision(db);
      return db.execute("UPDATE certificates SET trusted = $1, updated_at = $2 WHERE sha256 = $3",
                        Params().add(trusted).add(unix_seconds_now()).add(fingerprint))
                 .affected_rows() > 0;
    });
  }

  void upsert_group(const GroupRecord& group) override {
    // The name reaches response headers (X-Smime-Decided-By) and logs.
    require_valid_name("A group name", group.name);
    require_valid_address(group.email);
    database_->in_transaction([&](Connection& db) {
      Params params;
      params.add(group.name)
          .add(ascii_lower(group.email))
          .add(to_string(group.behaviour))
          .add(unix_seconds_now());
      if (group.revocation_hard) {
        params.add(revocation_policy_name(*group.revocation_hard));
      } else {
        params.add_null();
      }
      if (group.reject_sha1) {
        params.add(*group.reject_sha1);
      } else {
        params.add_null();
      }
      db.execute(
          "INSERT INTO groups (name, email, behaviour, created_at, updated_at, revocation, "
          "reject_sha1) VALUES ($1, $2, $3, $4, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET "
          "email = excluded.email, behaviour = excluded.behaviour, updated_at = "
          "excluded.updated_at, revocation = excluded.revocation, reject_sha1 = "
          "excluded.reject_sha1",
          params);
    });
  }

  std::optional<GroupRecord> group(std::string_view name) override {
    const Result rows = database_->query([&](Connection& db) {
      return db.execute("SELECT " + std::string(kGroupColumns) + " FROM groups WHERE name = $1",
                        Params().add(name));
    });
    if (rows.empty()) return std::nullopt;
    return read_group(rows, 0);
  }

  std::vector<GroupRecord> list_groups() override {
    const Result rows = database_->query([&](Connection& db) {
      return db.execute("SELECT " + std::string(kGroupColumns) + " FROM groups ORDER BY name");
    });
    return rows.map_rows(read_group);
  }

  bool delete_group(std::string_view name) override {
    return database_->transact([&](Connection& db) {
      return db.execute("DELETE FROM groups WHERE name = $1", Params().add(name)).affected_rows() >
             0;
    });
  }

  CrlRecord insert_crl(const CrlRecord& crl, const std::vector<RevokedEntry>& revoked) override;

  std::vector<CrlRecord> list_crls() override {
    const Result rows = database_->query([&](Connection& db) {
      return db.execute("SELECT " + std::string(kCrlColumns) + " FROM crls ORDER BY issuer");
    });
    return rows.map_rows(read_crl);
  }

  std::optional<RevokedEntry> revocation(std::string_view issuer,
                                         std::string_view serial) override {
    const Result rows = database_->query([&](Connection& db) {
      return db.execute(
          "SELECT r.serial, r.revoked_at, r.reason FROM revoked_certificates r "
          "JOIN crls c ON c.id = r.crl_id WHERE c.issuer = $1 AND r.serial = $2",
          Params().add(issuer).add(ascii_lower(serial)));
    });
    if (rows.empty()) return std::nullopt;
    return RevokedEntry{rows.text(0, 0), rows.int64(0, 1), rows.text(0, 2)};
  }

  std::int64_t revision() override {
    const Result rows = database_->query([&](Connection& db) {
      return db.execute("SELECT revision FROM store_revision WHERE id = 1");
    });
    return rows.empty() ? 0 : rows.int64(0, 0);
  }

  bool record_capabilities(const CapabilitiesRecord& record) override {
    std::int64_t written = 0;
    database_->in_transaction([&](Connection& db) {
      // One statement: the newer-or-equal and differs test and the write are atomic.
      written = db.execute(
                      "INSERT INTO certificate_capabilities (certificate_id, capabilities, "
                      "signing_time, message_id, recorded_at) SELECT id, $2, $3, $4, $5 FROM "
                      "certificates WHERE sha256 = $1 ON CONFLICT (certificate_id) DO UPDATE SET "
                      "capabilities = excluded.capabilities, signing_time = excluded.signing_time, "
                      "message_id = excluded.message_id, recorded_at = excluded.recorded_at "
                      "WHERE excluded.signing_time >= certificate_capabilities.signing_time "
                      "AND excluded.capabilities <> certificate_capabilities.capabilities",
                      Params()
                          .add(ascii_lower(record.sha256))
                          .add(join(record.capabilities))
                          .add(record.signing_time)
                          .add(record.message_id)
                          .add(unix_seconds_now()))
                    .affected_rows();
    });
    return written > 0;
  }

  std::optional<CapabilitiesRecord> capabilities(std::string_view sha256) override {
    const Result rows = database_->query([&](Connection& db) {
      return db.execute(
          "SELECT c.sha256, k.capabilities, k.signing_time, k.message_id, k.recorded_at "
          "FROM certificate_capabilities k JOIN certificates c ON c.id = k.certificate_id "
          "WHERE c.sha256 = $1",
          Params().add(ascii_lower(sha256)));
    });
    if (rows.empty()) return std::nullopt;
    return CapabilitiesRecord{rows.text(0, 0), split(rows.text(0, 1)), rows.int64(0, 2),
                              rows.text(0, 3), rows.int64(0, 4)};
  }

  void reserve_key(std::string_view key_id, std::string_view purpose) override {
    database_->in_transaction([&](Connection& db) {
      db.execute(
          "INSERT INTO reserved_keys (key_id, purpose, reserved_at) VALUES ($1, $2, $3) "
          "ON CONFLICT (key_id) DO NOTHING",
          Params().add(ascii_lower(key_id)).add(purpose).add(unix_seconds_now()));
    });
  }

  std::vector<std::pair<std::string, std::string>> reserved_keys() override {
    const Result rows = database_->query([&](Connection& db) {
      return db.execute("SELECT key_id, purpose FROM reserved_keys ORDER BY key_id");
    });
    return rows.map_rows([](const Result& all, int row) {
      return std::make_pair(all.text(row, 0), all.text(row, 1));
    });
  }

  void probe_writable() override {
    database_->in_transaction([&](Connection& db) {
      db.execute("UPDATE health_probe SET at_ms = $1 WHERE id = 1", Params().add(unix_ms_now()));
    });
  }

  int schema_version() override {
    return database_->query([&](Connection& db) { return pg::current_version(db); });
  }

  void backup(const std::filesystem::path& destination) override {
    if (database_->in_transaction_on_this_thread()) {
      // The copy would not contain this transaction's uncommitted changes.
      throw Error(ErrorCode::conflict, "A backup cannot be taken inside a transaction");
    }
    pg::dump_database(database_->url(), destination);
  }

 private:
  static std::int64_t insert_certificate_row(Connection& db, const CertificateRecord& stored) {
    return db
        .execute(
            "INSERT INTO certificates (sha256, sha1, der, subject, issuer, serial, "
            "subject_key_id, authority_key_id, not_before, not_after, key_algorithm, "
            "key_bits, curve, key_usages, extended_key_usages, can_sign, can_encrypt, "
            "is_ca, token_key_id, key_exportable, created_at, updated_at, trusted, legacy_rules) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
            "$18, $19, $20, $21, $22, $23, $24) RETURNING id",
            Params()
                .add(stored.sha256)
                .add(stored.sha1)
                .add(stored.der)
                .add(stored.subject)
                .add(stored.issuer)
                .add(stored.serial)
                .add(stored.subject_key_id)
                .add(stored.authority_key_id)
                .add(stored.not_before)
                .add(stored.not_after)
                .add(stored.key_algorithm)
                .add(stored.key_bits)
                .add(stored.curve)
                .add(join(stored.key_usages))
                .add(join(stored.extended_key_usages))
                .add(stored.can_sign)
                .add(stored.can_encrypt)
                .add(stored.is_ca)
                .add(stored.token_key_id)
                .add(stored.key_exportable)
                .add(stored.created_at)
                .add(stored.updated_at)
                .add(stored.trusted)
                .add(join(stored.legacy_rules)))
        .int64(0, 0);
  }

  std::shared_ptr<postgres::Database> database_;
};

CrlRecord PostgresStore::insert_crl(const CrlRecord& crl,
                                    const std::vector<RevokedEntry>& revoked) {
  if (crl.issuer.empty()) throw Error(ErrorCode::invalid_input, "A CRL needs an issuer");
  CrlRecord stored = crl;
  stored.issuer_sha256 = ascii_lower(crl.issuer_sha256);
  database_->in_transaction([&](Connection& db) {
    lock_revision(db);
    stored.imported_at = unix_seconds_now();
    const Result existing =
        db.execute("SELECT id, this_update FROM crls WHERE issuer = $1", Params().add(crl.issuer));
    if (!existing.empty()) {
      if (existing.int64(0, 1) >= crl.this_update) {
        throw Error(ErrorCode::conflict,
                    "A newer or equal CRL of " + crl.issuer + " is already stored");
      }
      // Its revoked entries go with it (ON DELETE CASCADE).
      db.execute("DELETE FROM crls WHERE id = $1", Params().add(existing.int64(0, 0)));
    }
    stored.id = db.execute(
                      "INSERT INTO crls (issuer, issuer_sha256, der, this_update, next_update, "
                      "crl_number, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                      Params()
                          .add(stored.issuer)
                          .add(stored.issuer_sha256)
                          .add(stored.der)
                          .add(stored.this_update)
                          .add(stored.next_update)
                          .add(stored.crl_number)
                          .add(stored.imported_at))
                    .int64(0, 0);
    insert_revoked(db, stored.id, revoked);
  });
  return stored;
}

std::shared_ptr<postgres::Database> open_postgres_database(const std::string& url,
                                                           std::size_t pool_size) {
  auto database = std::make_shared<postgres::Database>(url, pool_size);
  database->with_connection([](Connection& db) { pg::migrate(db); });
  return database;
}

std::unique_ptr<Store> open_postgres_store(std::shared_ptr<postgres::Database> database) {
  return std::make_unique<PostgresStore>(std::move(database));
}

int latest_postgres_schema_version() {
  return pg::latest_version();
}

}  // namespace smime::store
