// Shared pieces of the audit log tests: one fresh database per test on each backend (an SQLite
// file in a temp dir, or a PostgreSQL database on the test process's server), events, and a
// raw connection playing the attacker who edits the database behind the appliance's back.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "smime/audit/audit_log.hpp"
#include "smime/common/handles.hpp"
#include "smime/postgres/connection.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/store/postgres_store.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/postgres_server.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/store_backends.hpp"

namespace smime::audit::testing {

using test::Backend;

inline AuditEvent admin_event(const std::string& operation, const std::string& detail = "") {
  AuditEvent event;
  event.actor = "smimectl";
  event.direction = Direction::admin;
  event.operation = operation;
  event.detail = detail;
  return event;
}

// A signing request through the API, for one address.
inline AuditEvent outgoing_event(const std::string& address) {
  AuditEvent event;
  event.actor = "api:helpdesk";
  event.direction = Direction::outgoing;
  event.operation = "sign";
  event.addresses = {address};
  return event;
}

// sqlite3 or psql as an administrator (or attacker) would use them: no triggers kept, no
// checks. Statements that fail throw (std::runtime_error; on PostgreSQL a PostgresError).
class RawDatabase {
 public:
  explicit RawDatabase(const std::filesystem::path& file) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) throw std::runtime_error("cannot open " + file.string());
    sqlite3_busy_timeout(db_.get(), 10'000);
  }
  // A plain libpq connection of its own.
  explicit RawDatabase(postgres::Connection connection) : pg_(std::move(connection)) {}

  void exec(const std::string& sql) {
    if (pg_) {
      pg_->exec(sql);
      return;
    }
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string(sqlite3_errmsg(db_.get())) + " in: " + sql);
    }
  }

  // The first column of the first row ("" when there is none).
  std::string scalar(const std::string& sql) {
    if (pg_) {
      const postgres::Result rows = pg_->execute(sql);
      return rows.empty() ? std::string() : rows.text(0, 0);
    }
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_.get()));
    }
    sqlite::SqliteStmtPtr stmt(raw);
    if (sqlite3_step(stmt.get()) != SQLITE_ROW) return {};
    const auto* text = sqlite3_column_text(stmt.get(), 0);
    return text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }

  // What an attacker does first: the append-only triggers are in the way (PostgreSQL's
  // migration v4 names them differently; the head's own guards stay, as on SQLite).
  void drop_guards() {
    if (pg_) {
      exec(
          "DROP TRIGGER audit_log_append_only ON audit_log; "
          "DROP TRIGGER audit_log_no_truncate ON audit_log;");
      return;
    }
    exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");
  }

 private:
  sqlite::SqlitePtr db_;
  std::optional<postgres::Connection> pg_;
};

// TEST_P fixture of the audit suites: INSTANTIATE_TEST_SUITE_P(Backends, ..., test::
// kAllBackends, test::backend_test_name) runs each test on both backends (.../Sqlite,
// .../Postgres), each on a database of its own.
class AuditTest : public ::testing::TestWithParam<Backend> {
 protected:
  AuditTest() {
    if (GetParam() == Backend::postgres) url_ = test::fresh_database_url();
  }

  // A new AuditLog on the test's database, as a new process opens it: SQLite on the file
  // (created and migrated when needed); PostgreSQL on a pool of its own, the schema migrated
  // by the store's open_postgres_database first.
  std::unique_ptr<AuditLog> open_log(AuditLogOptions options = {}) const {
    if (GetParam() == Backend::sqlite) return std::make_unique<AuditLog>(file_, options);
    return std::make_unique<AuditLog>(store::open_postgres_database(url_, kPoolSize), options);
  }
  // The backend's store on the same database, on a connection (pool) of its own.
  std::unique_ptr<store::Store> open_store() const {
    if (GetParam() == Backend::sqlite) return store::open_sqlite_store(file_);
    return store::open_postgres_store(store::open_postgres_database(url_, kPoolSize));
  }
  // A store and an audit log on one shared database (connection or pool), as smimed opens
  // them: record_with() appends in the store's transaction.
  struct Node {
    std::unique_ptr<store::Store> store;
    std::unique_ptr<AuditLog> log;
  };
  Node open_node() const {
    if (GetParam() == Backend::sqlite) {
      auto database = store::open_sqlite_database(file_);
      return {store::open_sqlite_store(database), std::make_unique<AuditLog>(database)};
    }
    auto database = store::open_postgres_database(url_, kPoolSize);
    return {store::open_postgres_store(database), std::make_unique<AuditLog>(database)};
  }
  // The attacker's connection: plain sqlite3 on the file, or plain libpq.
  RawDatabase raw() const {
    if (GetParam() == Backend::sqlite) return RawDatabase(file_);
    return RawDatabase(postgres::Connection::open(url_));
  }
  // The statement for the backend at hand, where their SQL differs.
  std::string sql(std::string sqlite, std::string postgres) const {
    return GetParam() == Backend::sqlite ? std::move(sqlite) : std::move(postgres);
  }

  // n admin entries "op 1" .. "op n" through a fresh AuditLog.
  void write_entries(int n) const {
    const auto log = open_log();
    for (int i = 1; i <= n; ++i) log->record(admin_event("op " + std::to_string(i)));
  }
  VerifyReport verify() const { return open_log()->verify(); }

  // Connections per PostgreSQL pool: as many as the tests' store pools.
  static constexpr std::size_t kPoolSize = 4;

  test::TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "smime.db";  // SQLite
  std::string url_;                                        // PostgreSQL
};

}  // namespace smime::audit::testing
