// Shared pieces of the audit log tests: a temp database file, events, and a raw SQLite
// connection playing the attacker who edits the file behind the appliance's back.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "smime/audit/audit_log.hpp"
#include "smime/common/handles.hpp"
#include "smime/sqlite/connection.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::audit::testing {

inline AuditEvent admin_event(const std::string& operation, const std::string& detail = "") {
  AuditEvent event;
  event.actor = "smimectl";
  event.direction = Direction::admin;
  event.operation = operation;
  event.detail = detail;
  return event;
}

// sqlite3 as an administrator (or attacker) would use it: no triggers kept, no checks.
class RawDatabase {
 public:
  explicit RawDatabase(const std::filesystem::path& file) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) throw std::runtime_error("cannot open " + file.string());
    sqlite3_busy_timeout(db_.get(), 10'000);
  }

  void exec(const std::string& sql) {
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string(sqlite3_errmsg(db_.get())) + " in: " + sql);
    }
  }

  std::string scalar(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_.get()));
    }
    sqlite::SqliteStmtPtr stmt(raw);
    if (sqlite3_step(stmt.get()) != SQLITE_ROW) return {};
    const auto* text = sqlite3_column_text(stmt.get(), 0);
    return text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }

  // What an attacker does first: the append-only triggers are in the way.
  void drop_guards() {
    exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");
  }

 private:
  sqlite::SqlitePtr db_;
};

class AuditTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "smime.db";

  // n admin entries "op 1" .. "op n" through a fresh AuditLog.
  void write_entries(int n) {
    AuditLog log(file_);
    for (int i = 1; i <= n; ++i) log.record(admin_event("op " + std::to_string(i)));
  }
  VerifyReport verify() { return AuditLog(file_).verify(); }
};

}  // namespace smime::audit::testing
