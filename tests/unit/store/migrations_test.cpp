// Schema versioning of the SQLite store: fresh files, reopening, and files from newer builds.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "smime/audit/audit_log.hpp"
#include "smime/common/error.hpp"
#include "smime/common/handles.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/softhsm_fixture.hpp"
#include "unit/store/fake_records.hpp"

namespace smime::store {
namespace {

// A second connection, as an older or newer build (or an administrator) would open the file.
class RawDatabase {
 public:
  explicit RawDatabase(const std::filesystem::path& file) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) {
      throw std::runtime_error("cannot open " + file.string());
    }
    sqlite3_busy_timeout(db_.get(), 10'000);
  }

  void exec(const std::string& sql) {
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_.get()));
    }
  }

  // Every row's first column.
  std::vector<std::string> column(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_.get()));
    }
    sqlite::SqliteStmtPtr stmt(raw);
    std::vector<std::string> out;
    while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt.get(), 0);
      out.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
    return out;
  }

  std::string scalar(const std::string& sql) {
    const auto rows = column(sql);
    return rows.empty() ? std::string() : rows.front();
  }

 private:
  sqlite::SqlitePtr db_;
};

GroupRecord make_group(std::string name, std::string email) {
  GroupRecord group;
  group.name = std::move(name);
  group.email = std::move(email);
  return group;
}

class MigrationsTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "store.db";
};

TEST_F(MigrationsTest, FreshDatabaseIsAtTheLatestVersion) {
  ASSERT_GE(latest_schema_version(), 1);
  auto store = open_sqlite_store(file_);
  EXPECT_EQ(store->schema_version(), latest_schema_version());

  RawDatabase db(file_);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM schema_migrations"),
            std::to_string(latest_schema_version()));
  EXPECT_EQ(db.scalar("SELECT min(version) FROM schema_migrations"), "1");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM schema_migrations WHERE applied_at <= 0"), "0");
}

TEST_F(MigrationsTest, Version1HasTheTablesIndexesAndConstraints) {
  open_sqlite_store(file_);
  RawDatabase db(file_);
  const auto tables =
      db.column("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  for (const char* table : {"certificate_emails", "certificates", "crls", "groups",
                            "revoked_certificates", "schema_migrations"}) {
    EXPECT_NE(std::find(tables.begin(), tables.end(), table), tables.end()) << table;
  }
  EXPECT_EQ(db.scalar("SELECT name FROM pragma_index_list('certificate_emails') WHERE "
                      "name = 'certificate_emails_email'"),
            "certificate_emails_email");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pragma_index_info('certificates_subject_key_id')"),
            "1");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pragma_index_list('crls') WHERE \"unique\" = 1 AND "
                      "origin = 'u'"),
            "1");
  EXPECT_EQ(db.scalar("SELECT \"table\" FROM pragma_foreign_key_list('certificate_emails') WHERE "
                      "on_delete = 'CASCADE'"),
            "certificates");
  EXPECT_EQ(db.scalar("SELECT \"table\" FROM pragma_foreign_key_list('revoked_certificates') "
                      "WHERE on_delete = 'CASCADE'"),
            "crls");
  // The behaviour column only takes the four known names.
  const std::string insert =
      "INSERT INTO groups (name, email, behaviour, created_at, updated_at) VALUES ";
  EXPECT_THROW(db.exec(insert + "('g', 'g@example.com', 'bogus', 0, 0)"), std::runtime_error);
  db.exec(insert + "('g', 'g@example.com', 'sign', 0, 0)");
}

// Version 11: a group's verification policy, NULL (the appliance's) unless set, and only the
// known values.
TEST_F(MigrationsTest, Version11GroupPolicyColumnsTakeOnlyKnownValues) {
  open_sqlite_store(file_);
  RawDatabase db(file_);
  const std::string insert =
      "INSERT INTO groups (name, email, behaviour, created_at, updated_at, revocation, "
      "reject_sha1) VALUES ";
  EXPECT_THROW(db.exec(insert + "('g', 'g@example.com', 'sign', 0, 0, 'medium', NULL)"),
               std::runtime_error);
  EXPECT_THROW(db.exec(insert + "('g', 'g@example.com', 'sign', 0, 0, NULL, 2)"),
               std::runtime_error);
  db.exec(insert + "('g', 'g@example.com', 'sign', 0, 0, 'hard', 1)");
  db.exec(insert + "('h', 'h@example.com', 'sign', 0, 0, NULL, NULL)");
  EXPECT_EQ(db.scalar("SELECT revocation FROM groups WHERE name = 'g'"), "hard");
}

TEST_F(MigrationsTest, GroupsStoredBeforeVersion11KeepTheAppliancePolicy) {
  {
    auto store = open_sqlite_store(file_);
    store->upsert_group(make_group("support", "support@example.com"));
  }
  {
    // The file as version 10 left it: no groups.revocation / reject_sha1 (migration 11).
    RawDatabase db(file_);
    db.exec("ALTER TABLE groups DROP COLUMN revocation");
    db.exec("ALTER TABLE groups DROP COLUMN reject_sha1");
    db.exec("DELETE FROM schema_migrations WHERE version >= 11");
  }
  auto store = open_sqlite_store(file_);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  const auto group = store->group("support");
  ASSERT_TRUE(group.has_value());
  EXPECT_EQ(group->email, "support@example.com");
  EXPECT_EQ(group->revocation_hard, std::nullopt);
  EXPECT_EQ(group->reject_sha1, std::nullopt);
}

TEST_F(MigrationsTest, CertificatesStoredBeforeVersion6StayTrustAnchors) {
  std::string fingerprint;
  {
    auto store = open_sqlite_store(file_);
    CertificateRecord record = testing::fake_certificate("older");
    record.trusted = false;
    fingerprint = store->insert_certificate(record).sha256;
  }
  {
    // The file as version 5 left it: no trusted column (migration 6) and nothing later (7 adds
    // legacy_rules, 8 the groups' revision triggers, 9 audit_log.signatures, 10
    // certificate_capabilities, 11 the groups' policy columns). Keep these numbers with the
    // migrations when they are renumbered.
    RawDatabase db(file_);
    db.exec("ALTER TABLE groups DROP COLUMN revocation");
    db.exec("ALTER TABLE groups DROP COLUMN reject_sha1");
    db.exec("DROP TABLE certificate_capabilities");
    db.exec("ALTER TABLE audit_log DROP COLUMN signatures");
    db.exec("DROP TRIGGER groups_insert_revision");
    db.exec("DROP TRIGGER groups_update_revision");
    db.exec("DROP TRIGGER groups_delete_revision");
    db.exec("ALTER TABLE certificates DROP COLUMN legacy_rules");
    db.exec("ALTER TABLE certificates DROP COLUMN trusted");
    db.exec("DELETE FROM schema_migrations WHERE version >= 6");
  }
  auto store = open_sqlite_store(file_);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  EXPECT_TRUE(store->certificate(fingerprint)->trusted) << "every stored certificate was one";
}

TEST_F(MigrationsTest, AuditEntriesRecordedBeforeVersion9KeepTheirHashes) {
  {
    audit::AuditLog log(file_);
    for (const char* operation : {"group.set", "certificate.import"}) {
      audit::AuditEvent event;
      event.actor = "smimectl";
      event.operation = operation;
      log.record(event);
    }
  }
  {
    // The file as version 8 left it: no audit_log.signatures (migration 9) and nothing later
    // (10 adds certificate_capabilities, 11 the groups' policy columns).
    RawDatabase db(file_);
    db.exec("ALTER TABLE groups DROP COLUMN revocation");
    db.exec("ALTER TABLE groups DROP COLUMN reject_sha1");
    db.exec("DROP TABLE certificate_capabilities");
    db.exec("ALTER TABLE audit_log DROP COLUMN signatures");
    db.exec("DELETE FROM schema_migrations WHERE version >= 9");
  }
  auto store = open_sqlite_store(file_);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  audit::AuditLog log(file_);
  const audit::VerifyReport report = log.verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, 2);
  for (const auto& entry : log.list({})) EXPECT_TRUE(entry.event.signatures.empty());
}

TEST_F(MigrationsTest, ReopeningIsIdempotent) {
  {
    auto store = open_sqlite_store(file_);
    store->upsert_group(make_group("g", "g@example.com"));
  }
  const std::string applied = RawDatabase(file_).scalar(
      "SELECT group_concat(version || ':' || applied_at) "
      "FROM schema_migrations");
  for (int i = 0; i < 3; ++i) {
    auto store = open_sqlite_store(file_);
    EXPECT_EQ(store->schema_version(), latest_schema_version());
    EXPECT_TRUE(store->group("g").has_value());
  }
  EXPECT_EQ(RawDatabase(file_).scalar("SELECT group_concat(version || ':' || applied_at) "
                                      "FROM schema_migrations"),
            applied);
}

TEST_F(MigrationsTest, SeveralConnectionsOpeningAFreshFileMigrateOnce) {
  std::vector<std::thread> threads;
  std::vector<std::string> outcomes(4);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        outcomes[i] = "version " + std::to_string(open_sqlite_store(file_)->schema_version());
      } catch (const Error& e) {
        outcomes[i] = e.what();
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const auto& outcome : outcomes) {
    EXPECT_EQ(outcome, "version " + std::to_string(latest_schema_version()));
  }
  EXPECT_EQ(RawDatabase(file_).scalar("SELECT count(*) FROM schema_migrations"),
            std::to_string(latest_schema_version()));
}

TEST_F(MigrationsTest, DatabaseFromANewerBuildIsRefused) {
  open_sqlite_store(file_);
  const int newer = latest_schema_version() + 1;
  RawDatabase(file_).exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                          std::to_string(newer) + ", 1)");
  try {
    open_sqlite_store(file_);
    FAIL() << "a newer schema was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    const std::string message = e.what();
    EXPECT_NE(message.find("schema version " + std::to_string(newer)), std::string::npos)
        << message;
    EXPECT_NE(message.find("newer than this build supports"), std::string::npos) << message;
  }
  // Refusing did not touch the file.
  EXPECT_EQ(RawDatabase(file_).scalar("SELECT max(version) FROM schema_migrations"),
            std::to_string(newer));
}

}  // namespace
}  // namespace smime::store
