// smime::store::SqliteStore: the Store interface on one SQLite connection.
#include "smime/store/sqlite_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "migrations.hpp"
#include "record_rules.hpp"
#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/common/files.hpp"
#include "smime/common/handles.hpp"
#include "smime/common/hex.hpp"
#include "smime/common/text.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/sqlite/database.hpp"
#include "smime/store/names.hpp"

namespace smime::store {

using sqlite::Statement;
using sqlite::throw_sqlite;
using sqlite::Transaction;

namespace {

void remove_database_files(const std::filesystem::path& file) {
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    std::filesystem::remove(file.string() + suffix, ec);
  }
}

constexpr std::string_view kCertificateColumns =
    "id, sha256, sha1, der, subject, issuer, serial, subject_key_id, authority_key_id, "
    "not_before, not_after, key_algorithm, key_bits, curve, key_usages, extended_key_usages, "
    "can_sign, can_encrypt, is_ca, token_key_id, key_exportable, created_at, updated_at, trusted, "
    "legacy_rules";

constexpr std::string_view kCrlColumns =
    "id, issuer, issuer_sha256, der, this_update, next_update, crl_number, imported_at";

CrlRecord read_crl(const Statement& row) {
  CrlRecord crl;
  crl.id = row.int64(0);
  crl.issuer = row.text(1);
  crl.issuer_sha256 = row.text(2);
  crl.der = row.blob(3);
  crl.this_update = row.int64(4);
  crl.next_update = row.int64(5);
  crl.crl_number = row.text(6);
  crl.imported_at = row.int64(7);
  return crl;
}

GroupRecord read_group(const Statement& row) {
  GroupRecord group;
  group.name = row.text(0);
  group.email = row.text(1);
  const auto behaviour = parse_default_behaviour(row.text(2));
  if (!behaviour) {  // the CHECK constraint makes this a corrupted file
    throw Error(ErrorCode::internal, "Group " + group.name + " has an unknown behaviour");
  }
  group.behaviour = *behaviour;
  group.created_at = row.int64(3);
  group.updated_at = row.int64(4);
  if (!row.is_null(5)) group.revocation_hard = row.text(5) == "hard";
  if (!row.is_null(6)) group.reject_sha1 = row.boolean(6);
  return group;
}

// ---- certificate queries: parameter numbers are fixed, unused ones are simply not
// referenced by the SQL ----

std::string certificate_query_sql(const CertificateQuery& query, bool has_prefix) {
  std::string sql = "SELECT " + std::string(kCertificateColumns) + " FROM certificates WHERE 1";
  if (!query.email.empty()) {
    sql += " AND id IN (SELECT certificate_id FROM certificate_emails WHERE email = ?1)";
  }
  if (has_prefix) {
    sql += " AND sha256 >= ?2 AND sha256 < ?3";
  }
  if (!query.subject_contains.empty()) {
    sql += " AND instr(lower(subject), ?4) > 0";  // instr: no LIKE wildcards to escape
  }
  if (query.has_key) {
    sql += *query.has_key ? " AND token_key_id IS NOT NULL" : " AND token_key_id IS NULL";
  }
  if (query.is_ca) {
    sql += " AND is_ca = ?5";
  }
  if (!query.issuer.empty()) {
    sql += " AND issuer = ?7";
  }
  if (!query.serial.empty()) {
    sql += " AND serial = ?8";
  }
  if (!query.subject_key_id.empty()) {
    sql += " AND subject_key_id = ?9";
  }
  if (!query.subject.empty()) {
    sql += " AND subject = ?10";
  }
  sql += " ORDER BY not_before DESC, id DESC";
  if (query.limit > 0) {
    sql += " LIMIT ?6";
  }
  return sql;
}

void bind_certificate_query(Statement& statement, const CertificateQuery& query,
                            const std::optional<std::string>& prefix) {
  if (!query.email.empty()) {
    statement.bind(1, ascii_lower(query.email));
  }
  if (prefix) {
    statement.bind(2, *prefix).bind(3, *prefix + "g");
  }
  if (!query.subject_contains.empty()) {
    statement.bind(4, ascii_lower(query.subject_contains));
  }
  if (query.is_ca) {
    statement.bind(5, *query.is_ca);
  }
  if (query.limit > 0) {
    statement.bind(6, query.limit);
  }
  if (!query.issuer.empty()) {
    statement.bind(7, query.issuer);
  }
  if (!query.serial.empty()) {
    statement.bind(8, ascii_lower(query.serial));
  }
  if (!query.subject_key_id.empty()) {
    statement.bind(9, ascii_lower(query.subject_key_id));
  }
  if (!query.subject.empty()) {
    statement.bind(10, query.subject);
  }
}

}  // namespace

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::shared_ptr<sqlite::Database> database)
      : database_(std::move(database)), mutex_(database_->mutex()), db_(database_->connection()) {}

  void in_transaction(const std::function<void()>& body) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    body();
    transaction.commit();
  }

  CertificateRecord insert_certificate(const CertificateRecord& record) override {
    CertificateRecord stored = normalised_certificate(record);
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    // Checked inside the write transaction, so no other writer can take it in between.
    if (db_.prepare("SELECT 1 FROM certificates WHERE sha256 = ?1").bind(1, stored.sha256).step()) {
      throw Error(ErrorCode::conflict, "Fingerprint already taken");
    }
    stored.created_at = stored.updated_at = unix_seconds_now();
    db_.prepare(
           "INSERT INTO certificates (sha256, sha1, der, subject, issuer, serial, subject_key_id, "
           "authority_key_id, not_before, not_after, key_algorithm, key_bits, curve, key_usages, "
           "extended_key_usages, can_sign, can_encrypt, is_ca, token_key_id, key_exportable, "
           "created_at, updated_at, trusted, legacy_rules) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
           "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)")
        .bind(1, stored.sha256)
        .bind(2, stored.sha1)
        .bind(3, stored.der)
        .bind(4, stored.subject)
        .bind(5, stored.issuer)
        .bind(6, stored.serial)
        .bind(7, stored.subject_key_id)
        .bind(8, stored.authority_key_id)
        .bind(9, stored.not_before)
        .bind(10, stored.not_after)
        .bind(11, stored.key_algorithm)
        .bind(12, stored.key_bits)
        .bind(13, stored.curve)
        .bind(14, join(stored.key_usages))
        .bind(15, join(stored.extended_key_usages))
        .bind(16, stored.can_sign)
        .bind(17, stored.can_encrypt)
        .bind(18, stored.is_ca)
        .bind(19, stored.token_key_id)
        .bind(20, stored.key_exportable)
        .bind(21, stored.created_at)
        .bind(22, stored.updated_at)
        .bind(23, stored.trusted)
        .bind(24, join(stored.legacy_rules))
        .run();
    stored.id = db_.last_insert_rowid();
    Statement email =
        db_.prepare("INSERT INTO certificate_emails (certificate_id, email) VALUES (?1, ?2)");
    for (const auto& address : stored.emails) {
      email.bind(1, stored.id).bind(2, address).run();
      email.reset();
    }
    transaction.commit();
    return stored;
  }

  std::optional<CertificateRecord> certificate(std::string_view fingerprint) override {
    const std::string hex = lookup_prefix(fingerprint);
    std::lock_guard lock(mutex_);
    // Every hex digit sorts below 'g': [prefix, prefix + "g") is exactly the rows starting
    // with prefix, and the range uses the UNIQUE index on sha256.
    Statement query = db_.prepare("SELECT " + std::string(kCertificateColumns) +
                                  " FROM certificates WHERE sha256 >= ?1 AND sha256 < ?2 LIMIT 2");
    query.bind(1, hex).bind(2, hex + "g");
    if (!query.step()) {
      return std::nullopt;
    }
    CertificateRecord found = read_certificate(query);
    if (query.step()) {
      throw Error(ErrorCode::conflict,
                  "Fingerprint prefix " + hex + " matches several certificates");
    }
    return found;
  }

  std::vector<CertificateRecord> find_certificates(const CertificateQuery& query) override {
    const std::optional<std::string> prefix = query_prefix(query);
    const std::string sql = certificate_query_sql(query, prefix.has_value());
    std::lock_guard lock(mutex_);
    Statement statement = db_.prepare(sql);
    bind_certificate_query(statement, query, prefix);
    std::vector<CertificateRecord> found;
    while (statement.step()) {
      found.push_back(read_certificate(statement));
    }
    return found;
  }

  bool set_certificate_key(std::string_view sha256, const std::optional<std::string>& key_id,
                           bool exportable) override {
    const std::string fingerprint = full_fingerprint(sha256);
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    // Without a key there is nothing to export: clearing the key clears the flag too.
    db_.prepare(
           "UPDATE certificates SET token_key_id = ?1, key_exportable = ?2, updated_at = ?3 "
           "WHERE sha256 = ?4")
        .bind(1, key_id)
        .bind(2, key_id.has_value() && exportable)
        .bind(3, unix_seconds_now())
        .bind(4, fingerprint)
        .run();
    const bool changed = db_.changes() > 0;
    transaction.commit();
    return changed;
  }

  bool delete_certificate(std::string_view sha256) override {
    const std::string fingerprint = full_fingerprint(sha256);
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    // The emails go with it (ON DELETE CASCADE).
    db_.prepare("DELETE FROM certificates WHERE sha256 = ?1").bind(1, fingerprint).run();
    const bool changed = db_.changes() > 0;
    transaction.commit();
    return changed;
  }

  bool set_certificate_trust(std::string_view sha256, bool trusted) override {
    const std::string fingerprint = full_fingerprint(sha256);
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    db_.prepare("UPDATE certificates SET trusted = ?1, updated_at = ?2 WHERE sha256 = ?3")
        .bind(1, trusted)
        .bind(2, unix_seconds_now())
        .bind(3, fingerprint)
        .run();
    const bool changed = db_.changes() > 0;
    transaction.commit();
    return changed;
  }

  void upsert_group(const GroupRecord& group) override {
    // The name reaches response headers (X-Smime-Decided-By) and logs.
    require_valid_name("A group name", group.name);
    require_valid_address(group.email);
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    const std::int64_t now = unix_seconds_now();
    Statement upsert = db_.prepare(
        "INSERT INTO groups (name, email, behaviour, created_at, updated_at, revocation, "
        "reject_sha1) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6) ON CONFLICT (name) DO UPDATE SET "
        "email = excluded.email, behaviour = excluded.behaviour, updated_at = "
        "excluded.updated_at, revocation = excluded.revocation, reject_sha1 = "
        "excluded.reject_sha1");
    upsert.bind(1, group.name)
        .bind(2, ascii_lower(group.email))
        .bind(3, to_string(group.behaviour))
        .bind(4, now);
    if (group.revocation_hard) {
      upsert.bind(5, revocation_policy_name(*group.revocation_hard));
    } else {
      upsert.bind_null(5);
    }
    if (group.reject_sha1) {
      upsert.bind(6, *group.reject_sha1);
    } else {
      upsert.bind_null(6);
    }
    upsert.run();
    transaction.commit();
  }

  std::optional<GroupRecord> group(std::string_view name) override {
    std::lock_guard lock(mutex_);
    Statement query = db_.prepare(
        "SELECT name, email, behaviour, created_at, updated_at, revocation, reject_sha1 FROM "
        "groups WHERE name = ?1");
    query.bind(1, name);
    if (!query.step()) {
      return std::nullopt;
    }
    return read_group(query);
  }

  std::vector<GroupRecord> list_groups() override {
    std::lock_guard lock(mutex_);
    Statement query = db_.prepare(
        "SELECT name, email, behaviour, created_at, updated_at, revocation, reject_sha1 FROM "
        "groups ORDER BY name");
    std::vector<GroupRecord> groups;
    while (query.step()) {
      groups.push_back(read_group(query));
    }
    return groups;
  }

  bool delete_group(std::string_view name) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    db_.prepare("DELETE FROM groups WHERE name = ?1").bind(1, name).run();
    const bool changed = db_.changes() > 0;
    transaction.commit();
    return changed;
  }

  CrlRecord insert_crl(const CrlRecord& crl, const std::vector<RevokedEntry>& revoked) override {
    if (crl.issuer.empty()) {
      throw Error(ErrorCode::invalid_input, "A CRL needs an issuer");
    }
    CrlRecord stored = crl;
    stored.issuer_sha256 = ascii_lower(crl.issuer_sha256);
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    stored.imported_at = unix_seconds_now();
    if (const auto existing = stored_crl_version(crl.issuer)) {
      if (existing->second >= crl.this_update) {
        throw Error(ErrorCode::conflict,
                    "A newer or equal CRL of " + crl.issuer + " is already stored");
      }
      // Its revoked entries go with it (ON DELETE CASCADE).
      db_.prepare("DELETE FROM crls WHERE id = ?1").bind(1, existing->first).run();
    }
    db_.prepare(
           "INSERT INTO crls (issuer, issuer_sha256, der, this_update, next_update, crl_number, "
           "imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(1, stored.issuer)
        .bind(2, stored.issuer_sha256)
        .bind(3, stored.der)
        .bind(4, stored.this_update)
        .bind(5, stored.next_update)
        .bind(6, stored.crl_number)
        .bind(7, stored.imported_at)
        .run();
    stored.id = db_.last_insert_rowid();
    // A serial listed twice in one CRL keeps its first entry rather than failing the import.
    Statement entry = db_.prepare(
        "INSERT INTO revoked_certificates (crl_id, serial, revoked_at, reason) "
        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING");
    for (const auto& item : revoked) {
      entry.bind(1, stored.id)
          .bind(2, ascii_lower(item.serial))
          .bind(3, item.revoked_at)
          .bind(4, item.reason)
          .run();
      entry.reset();
    }
    transaction.commit();
    return stored;
  }

  std::vector<CrlRecord> list_crls() override {
    std::lock_guard lock(mutex_);
    Statement query =
        db_.prepare("SELECT " + std::string(kCrlColumns) + " FROM crls ORDER BY issuer");
    std::vector<CrlRecord> crls;
    while (query.step()) {
      crls.push_back(read_crl(query));
    }
    return crls;
  }

  std::optional<RevokedEntry> revocation(std::string_view issuer,
                                         std::string_view serial) override {
    std::lock_guard lock(mutex_);
    Statement query = db_.prepare(
        "SELECT r.serial, r.revoked_at, r.reason FROM revoked_certificates r "
        "JOIN crls c ON c.id = r.crl_id WHERE c.issuer = ?1 AND r.serial = ?2");
    query.bind(1, issuer).bind(2, ascii_lower(serial));
    if (!query.step()) {
      return std::nullopt;
    }
    return RevokedEntry{query.text(0), query.int64(1), query.text(2)};
  }

  std::int64_t revision() override {
    std::lock_guard lock(mutex_);
    Statement query = db_.prepare("SELECT revision FROM store_revision WHERE id = 1");
    return query.step() ? query.int64(0) : 0;
  }

  bool record_capabilities(const CapabilitiesRecord& record) override {
    std::lock_guard lock(mutex_);
    // One statement: the newer-or-equal and differs test and the write are atomic.
    db_.prepare(
           "INSERT INTO certificate_capabilities (certificate_id, capabilities, signing_time, "
           "message_id, recorded_at) SELECT id, ?2, ?3, ?4, ?5 FROM certificates WHERE sha256 = ?1 "
           "ON CONFLICT (certificate_id) DO UPDATE SET capabilities = excluded.capabilities, "
           "signing_time = excluded.signing_time, message_id = excluded.message_id, "
           "recorded_at = excluded.recorded_at "
           "WHERE excluded.signing_time >= certificate_capabilities.signing_time "
           "AND excluded.capabilities <> certificate_capabilities.capabilities")
        .bind(1, ascii_lower(record.sha256))
        .bind(2, join(record.capabilities))
        .bind(3, record.signing_time)
        .bind(4, record.message_id)
        .bind(5, unix_seconds_now())
        .run();
    return db_.changes() > 0;
  }

  std::optional<CapabilitiesRecord> capabilities(std::string_view sha256) override {
    std::lock_guard lock(mutex_);
    Statement query = db_.prepare(
        "SELECT c.sha256, k.capabilities, k.signing_time, k.message_id, k.recorded_at "
        "FROM certificate_capabilities k JOIN certificates c ON c.id = k.certificate_id "
        "WHERE c.sha256 = ?1");
    query.bind(1, ascii_lower(sha256));
    if (!query.step()) return std::nullopt;
    return CapabilitiesRecord{query.text(0), split(query.text(1)), query.int64(2), query.text(3),
                              query.int64(4)};
  }

  void reserve_key(std::string_view key_id, std::string_view purpose) override {
    std::lock_guard lock(mutex_);
    db_.prepare(
           "INSERT INTO reserved_keys (key_id, purpose, reserved_at) VALUES (?1, ?2, ?3) "
           "ON CONFLICT (key_id) DO NOTHING")
        .bind(1, ascii_lower(key_id))
        .bind(2, purpose)
        .bind(3, unix_seconds_now())
        .run();
  }

  std::vector<std::pair<std::string, std::string>> reserved_keys() override {
    std::lock_guard lock(mutex_);
    Statement query = db_.prepare("SELECT key_id, purpose FROM reserved_keys ORDER BY key_id");
    std::vector<std::pair<std::string, std::string>> keys;
    while (query.step()) keys.emplace_back(query.text(0), query.text(1));
    return keys;
  }

  void probe_writable() override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    db_.prepare("UPDATE health_probe SET at_ms = ?1 WHERE id = 1").bind(1, unix_ms_now()).run();
    transaction.commit();
  }

  int schema_version() override {
    std::lock_guard lock(mutex_);
    return current_version(db_);
  }

  void backup(const std::filesystem::path& destination) override;

  std::string pragma(std::string_view name) {
    std::lock_guard lock(mutex_);
    return db_.query_text("PRAGMA " + std::string(name));
  }

 private:
  // (id, this_update) of the CRL stored for issuer.
  std::optional<std::pair<std::int64_t, std::int64_t>> stored_crl_version(std::string_view issuer) {
    Statement query = db_.prepare("SELECT id, this_update FROM crls WHERE issuer = ?1");
    query.bind(1, issuer);
    if (!query.step()) {
      return std::nullopt;
    }
    return std::make_pair(query.int64(0), query.int64(1));
  }

  // One row of kCertificateColumns plus its emails. Called while `row` is still stepping, so
  // the emails come from the same read snapshot as the row.
  CertificateRecord read_certificate(const Statement& row) {
    CertificateRecord record;
    record.id = row.int64(0);
    record.sha256 = row.text(1);
    record.sha1 = row.text(2);
    record.der = row.blob(3);
    record.subject = row.text(4);
    record.issuer = row.text(5);
    record.serial = row.text(6);
    record.subject_key_id = row.text(7);
    record.authority_key_id = row.text(8);
    record.not_before = row.int64(9);
    record.not_after = row.int64(10);
    record.key_algorithm = row.text(11);
    record.key_bits = static_cast<int>(row.int64(12));
    record.curve = row.text(13);
    record.key_usages = split(row.text(14));
    record.extended_key_usages = split(row.text(15));
    record.can_sign = row.boolean(16);
    record.can_encrypt = row.boolean(17);
    record.is_ca = row.boolean(18);
    record.token_key_id = row.optional_text(19);
    record.key_exportable = row.boolean(20);
    record.created_at = row.int64(21);
    record.updated_at = row.int64(22);
    record.trusted = row.boolean(23);
    record.legacy_rules = split(row.text(24));
    Statement emails = db_.prepare(
        "SELECT email FROM certificate_emails WHERE certificate_id = ?1 ORDER BY rowid");
    emails.bind(1, record.id);
    while (emails.step()) {
      record.emails.push_back(emails.text(0));
    }
    return record;
  }

  // Shared with the API token store and the audit log's in-transaction appends, so that an
  // administrative change and its audit entry commit together (sqlite/database.hpp).
  std::shared_ptr<sqlite::Database> database_;
  std::recursive_mutex& mutex_;
  Connection& db_;
};

void SqliteStore::backup(const std::filesystem::path& destination) {
  std::lock_guard lock(mutex_);
  if (db_.in_transaction()) {
    // The copy would not contain this transaction's uncommitted changes.
    throw Error(ErrorCode::conflict, "A backup cannot be taken inside a transaction");
  }
  create_file(destination, /*exclusive=*/true);
  try {
    Connection target = Connection::open_plain(destination);
    sqlite::SqliteBackupPtr copy(
        sqlite3_backup_init(target.handle(), "main", db_.handle(), "main"));
    if (!copy) {
      throw_sqlite(target.handle(), sqlite3_errcode(target.handle()), "Cannot start the backup");
    }
    // All pages in one step: one read snapshot of the source (WAL lets other connections keep
    // writing meanwhile), so the copy is consistent. Retry while the target file is locked.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      const int rc = sqlite3_backup_step(copy.get(), -1);
      if (rc == SQLITE_DONE) {
        break;
      }
      const int primary = rc & 0xff;
      if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) &&
          std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      throw_sqlite(target.handle(), rc, "Backup to " + destination.string() + " failed");
    }
    copy.reset();  // finishing reports a late error in the target's error code
    if (const int rc = sqlite3_errcode(target.handle()); rc != SQLITE_OK) {
      throw_sqlite(target.handle(), rc, "Backup to " + destination.string() + " failed");
    }
  } catch (...) {
    remove_database_files(destination);
    throw;
  }
}

std::shared_ptr<sqlite::Database> open_sqlite_database(const std::filesystem::path& file) {
  // Created by us first so that it gets 0600 (SQLite would use 0644 minus the umask); the
  // -wal and -shm files SQLite creates later copy the database file's mode.
  create_file(file, /*exclusive=*/false);
  Connection connection = Connection::open(file);
  migrate(connection);
  // Administrative changes commit here together with their audit entries: FULL syncs the WAL
  // at every commit, so an acknowledged change survives a power loss too.
  connection.exec("PRAGMA synchronous=FULL");
  return std::make_shared<sqlite::Database>(file, std::move(connection));
}

std::unique_ptr<Store> open_sqlite_store(std::shared_ptr<sqlite::Database> database) {
  return std::make_unique<SqliteStore>(std::move(database));
}

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file) {
  return open_sqlite_store(open_sqlite_database(file));
}

int latest_schema_version() {
  return latest_version();
}

std::string sqlite_pragma(Store& store, std::string_view name) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  if (sqlite == nullptr) {
    throw Error(ErrorCode::invalid_input, "Not an SQLite store");
  }
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
  });
  if (!plain) {
    throw Error(ErrorCode::invalid_input, "Not a pragma name: \"" + std::string(name) + "\"");
  }
  return sqlite->pragma(name);
}

}  // namespace smime::store
