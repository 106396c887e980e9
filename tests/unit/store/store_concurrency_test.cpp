// Several writers on one database, on each backend: two processes (fork) racing on a fresh
// SQLite file or PostgreSQL database (through creating and migrating it too), and several
// threads sharing one store object.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/common/handles.hpp"
#include "smime/common/hex.hpp"
#include "smime/postgres/connection.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/store/postgres_store.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/postgres_server.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/store_backends.hpp"
#include "unit/store/fake_records.hpp"

namespace smime::store {
namespace {

using test::Backend;
using testing::fake_certificate;
using testing::Query;
using testing::sha256_hex;

constexpr int kDistinctPerProcess = 200;
constexpr int kShared = 10;  // inserted by both processes: one wins, one gets a conflict

GroupRecord make_group(std::string name, std::string email) {
  GroupRecord group;
  group.name = std::move(name);
  group.email = std::move(email);
  return group;
}

std::string distinct_name(char process, int i) {
  return std::string(1, process) + "-" + std::to_string(i);
}
std::string shared_name(int i) {
  return "shared-" + std::to_string(i);
}

struct ChildResult {
  int inserted = 0;
  int shared_won = 0;
  int shared_conflicts = 0;
  int unexpected = 0;
};

// A database neither process has opened yet: an SQLite file that does not exist, or an empty
// PostgreSQL database.
struct FreshDatabase {
  Backend backend;
  std::filesystem::path file;
  std::string url;

  std::unique_ptr<Store> open() const {
    if (backend == Backend::sqlite) return open_sqlite_store(file);
    return open_postgres_store(open_postgres_database(url, 2));
  }
  std::string scalar(const char* sql) const;
};

// The body of a forked writer: no gtest macros (they would report in the child), no
// destructors of the parent's objects (_exit). Opens the database only after the start signal
// so that both processes also race through creating and migrating it.
[[noreturn]] void run_writer(const FreshDatabase& database, char process, int start_fd,
                             int result_fd) {
  ChildResult result;
  char go = 0;
  if (::read(start_fd, &go, 1) != 1) {
    ::_exit(3);
  }
  try {
    auto store = database.open();
    for (int i = 0; i < kDistinctPerProcess; ++i) {
      store->insert_certificate(fake_certificate(distinct_name(process, i)));
      ++result.inserted;
      if (i % (kDistinctPerProcess / kShared) == 0) {
        try {
          store->insert_certificate(
              fake_certificate(shared_name(i / (kDistinctPerProcess / kShared))));
          ++result.shared_won;
        } catch (const Error& e) {
          if (e.code() == ErrorCode::conflict &&
              std::string(e.what()) == "Fingerprint already taken") {
            ++result.shared_conflicts;
          } else {
            ++result.unexpected;
          }
        }
      }
    }
  } catch (...) {
    ++result.unexpected;
  }
  const bool written = ::write(result_fd, &result, sizeof result) == sizeof result;
  ::_exit(written ? 0 : 4);
}

std::string raw_scalar(const std::filesystem::path& file, const char* sql) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sqlite::SqlitePtr db(raw);
  sqlite3_stmt* stmt_raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql, -1, &stmt_raw, nullptr) != SQLITE_OK) {
    return sqlite3_errmsg(db.get());
  }
  sqlite::SqliteStmtPtr stmt(stmt_raw);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) {
    return {};
  }
  const auto* text = sqlite3_column_text(stmt.get(), 0);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

std::string FreshDatabase::scalar(const char* sql) const {
  if (backend == Backend::sqlite) return raw_scalar(file, sql);
  const postgres::Result rows = postgres::Connection::open(url).execute(sql);
  return rows.empty() ? std::string() : rows.text(0, 0);
}

class StoreConcurrencyTest : public ::testing::TestWithParam<Backend> {};

INSTANTIATE_TEST_SUITE_P(Backends, StoreConcurrencyTest, test::kAllBackends,
                         test::backend_test_name);

TEST_P(StoreConcurrencyTest, TwoProcessesInsertIntoOneDatabase) {
  test::TempDir dir;
  FreshDatabase database{GetParam(), dir.path() / "store.db", ""};
  // Created by the parent, so that both children find the server running.
  if (GetParam() == Backend::postgres) database.url = test::fresh_database_url();
  std::array<int, 2> start{};
  std::array<int, 2> results{};
  ASSERT_EQ(::pipe(start.data()), 0);
  ASSERT_EQ(::pipe(results.data()), 0);

  std::vector<pid_t> children;
  for (char process : {'a', 'b'}) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      run_writer(database, process, start[0], results[1]);
    }
    children.push_back(pid);
  }
  ::close(results[1]);
  ::close(start[0]);
  const char go[2] = {'g', 'g'};
  ASSERT_EQ(::write(start[1], go, sizeof go), static_cast<ssize_t>(sizeof go));  // both at once
  ::close(start[1]);

  ChildResult total;
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  ChildResult result;
  int reports = 0;
  while (::read(results[0], &result, sizeof result) == sizeof result) {
    ++reports;
    total.inserted += result.inserted;
    total.shared_won += result.shared_won;
    total.shared_conflicts += result.shared_conflicts;
    total.unexpected += result.unexpected;
  }
  ::close(results[0]);
  ASSERT_EQ(reports, 2);
  EXPECT_EQ(total.unexpected, 0);
  EXPECT_EQ(total.inserted, 2 * kDistinctPerProcess);
  EXPECT_EQ(total.shared_won, kShared);        // each shared row was inserted once ...
  EXPECT_EQ(total.shared_conflicts, kShared);  // ... and the other process was told so

  auto store = database.open();
  for (char process : {'a', 'b'}) {
    for (int i = 0; i < kDistinctPerProcess; ++i) {
      const auto name = distinct_name(process, i);
      const auto found = store->find_certificates(Query().email(name + "@example.com"));
      ASSERT_EQ(found.size(), 1u) << name;
      EXPECT_EQ(found[0].sha256, sha256_hex(name));
    }
  }
  for (int i = 0; i < kShared; ++i) {
    EXPECT_EQ(store->find_certificates(Query().email(shared_name(i) + "@example.com")).size(), 1u);
  }
  const std::string rows = std::to_string(2 * kDistinctPerProcess + kShared);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM certificates"), rows);
  EXPECT_EQ(database.scalar("SELECT count(DISTINCT sha256) FROM certificates"), rows);
  EXPECT_EQ(database.scalar("SELECT count(*) FROM certificate_emails"), rows);
  if (GetParam() == Backend::postgres) {
    // Both migrated at once: each step was applied exactly once.
    EXPECT_EQ(database.scalar("SELECT count(*) FROM schema_version"),
              std::to_string(latest_postgres_schema_version()));
    return;
  }
  EXPECT_EQ(database.scalar("SELECT count(*) FROM schema_migrations"),
            std::to_string(latest_schema_version()));
  EXPECT_EQ(database.scalar("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(database.scalar("SELECT count(*) FROM pragma_foreign_key_check"), "0");
  EXPECT_EQ(sqlite_pragma(*store, "integrity_check"), "ok");
}

TEST_P(StoreConcurrencyTest, ThreadsShareOneStoreObject) {
  test::BackendDatabase database(GetParam());
  Store* store = &database.store();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        try {
          // Transactions with several calls must not interleave with other threads' calls.
          store->in_transaction([&] {
            const auto name = "t" + std::to_string(t) + "-" + std::to_string(i);
            store->insert_certificate(fake_certificate(name));
            store->upsert_group(make_group(name, name + "@example.com"));
            if (i % 10 == 0) {
              throw std::runtime_error("roll back");
            }
          });
        } catch (const std::runtime_error& e) {
          if (std::string(e.what()) != "roll back") {
            ++failures[t];
          }
        }
        store->find_certificates(Query().limit(5));
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int count : failures) {
    EXPECT_EQ(count, 0);
  }
  const std::size_t committed = kThreads * (kPerThread - kPerThread / 10);
  EXPECT_EQ(store->find_certificates({}).size(), committed);
  EXPECT_EQ(store->list_groups().size(), committed);
  if (GetParam() == Backend::sqlite) {
    EXPECT_EQ(sqlite_pragma(*store, "integrity_check"), "ok");
  }
}

}  // namespace
}  // namespace smime::store
