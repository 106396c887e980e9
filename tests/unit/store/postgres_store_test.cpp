// What only the PostgreSQL store and its libpq layer have: several nodes (Database objects,
// each with its pool) on one database, races between them, a server restart underneath, the
// pool's bounds, transactions joined per thread, retries, error codes, pg_dump backups.
#include "smime/store/postgres_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/postgres/array_literal.hpp"
#include "smime/postgres/database.hpp"
#include "smime/postgres/error.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"
#include "unit/store/fake_records.hpp"

namespace smime::store {
namespace {

using postgres::Connection;
using postgres::Params;
using testing::fake_certificate;
using testing::sha256_hex;

template <class F>
ErrorCode error_code_of(F&& call, std::string* message = nullptr) {
  try {
    call();
  } catch (const Error& e) {
    if (message != nullptr) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no smime::Error thrown";
  return ErrorCode::internal;
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  std::string url_ = test::fresh_database_url();
  std::shared_ptr<postgres::Database> node_a_ = open_postgres_database(url_, 4);
  std::shared_ptr<postgres::Database> node_b_ = open_postgres_database(url_, 4);
  std::unique_ptr<Store> store_a_ = open_postgres_store(node_a_);
  std::unique_ptr<Store> store_b_ = open_postgres_store(node_b_);
};

TEST_F(PostgresStoreTest, TwoNodesSeeEachOthersChangesAndRevision) {
  const std::int64_t start = store_b_->revision();
  EXPECT_EQ(store_a_->revision(), start);
  const CertificateRecord inserted = store_a_->insert_certificate(fake_certificate("alice"));
  EXPECT_GT(store_b_->revision(), start);
  ASSERT_TRUE(store_b_->certificate(inserted.sha256).has_value());
  EXPECT_EQ(store_b_->certificate(inserted.sha256)->emails,
            (std::vector<std::string>{"alice@example.com"}));

  const std::int64_t before_delete = store_a_->revision();
  EXPECT_TRUE(store_b_->delete_certificate(inserted.sha256));
  EXPECT_GT(store_a_->revision(), before_delete);
  EXPECT_EQ(store_a_->certificate(inserted.sha256), std::nullopt);

  const std::int64_t before_group = store_a_->revision();
  store_b_->upsert_group({.name = "sales", .email = "sales@example.com"});
  EXPECT_TRUE(store_a_->group("sales").has_value());
  EXPECT_GT(store_a_->revision(), before_group);  // the engine's group cache notices
  // An uncommitted change of one node is invisible to the other.
  store_a_->in_transaction([&] {
    store_a_->insert_certificate(fake_certificate("pending"));
    EXPECT_EQ(store_b_->certificate(sha256_hex("pending")), std::nullopt);
  });
  EXPECT_TRUE(store_b_->certificate(sha256_hex("pending")).has_value());
}

TEST_F(PostgresStoreTest, OneFingerprintFromTwoNodesAtOnceGivesOneSuccessAndOneConflict) {
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const CertificateRecord record = fake_certificate("race-" + std::to_string(round));
    std::barrier start(2);
    std::atomic<int> won{0};
    std::atomic<int> conflicts{0};
    std::atomic<int> unexpected{0};
    const auto insert = [&](Store& store) {
      start.arrive_and_wait();
      try {
        store.insert_certificate(record);
        ++won;
      } catch (const Error& e) {
        const bool expected =
            e.code() == ErrorCode::conflict && std::string(e.what()) == "Fingerprint already taken";
        ++(expected ? conflicts : unexpected);
      }
    };
    std::thread a([&] { insert(*store_a_); });
    std::thread b([&] { insert(*store_b_); });
    a.join();
    b.join();
    EXPECT_EQ(won, 1) << "round " << round;
    EXPECT_EQ(conflicts, 1) << "round " << round;
    EXPECT_EQ(unexpected, 0) << "round " << round;
  }
  EXPECT_EQ(store_a_->find_certificates({}).size(), static_cast<std::size_t>(kRounds));
}

TEST_F(PostgresStoreTest, RecoversWhenTheServerRestarts) {
  store_a_->insert_certificate(fake_certificate("before"));
  EXPECT_TRUE(store_b_->certificate(sha256_hex("before")).has_value());  // pools are open
  test::postgres_server().stop();
  const ErrorCode down = error_code_of([&] { store_a_->find_certificates({}); });
  EXPECT_TRUE(is_storage_error(down)) << to_string(down);
  test::postgres_server().start();
  // The first call after the restart works on both nodes: the pooled connections that the
  // server closed are reopened.
  EXPECT_EQ(store_a_->find_certificates({}).size(), 1u);
  store_b_->insert_certificate(fake_certificate("after"));
  EXPECT_EQ(store_a_->find_certificates({}).size(), 2u);
  store_a_->probe_writable();
}

TEST_F(PostgresStoreTest, MigrationsFromSeveralNodesAtOnce) {
  const std::string url = test::fresh_database_url();
  constexpr int kNodes = 4;
  std::barrier start(kNodes);
  std::atomic<int> failures{0};
  std::vector<std::thread> nodes;
  nodes.reserve(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    nodes.emplace_back([&] {
      start.arrive_and_wait();
      try {
        auto store = open_postgres_store(open_postgres_database(url, 1));
        if (store->schema_version() != latest_postgres_schema_version()) ++failures;
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& node : nodes) node.join();
  EXPECT_EQ(failures, 0);
  Connection check = Connection::open(url);
  EXPECT_EQ(check.execute("SELECT count(*) FROM schema_version").int64(0, 0),
            latest_postgres_schema_version());
}

TEST_F(PostgresStoreTest, ANewerSchemaIsRefused) {
  Connection::open(url_).exec(
      "INSERT INTO schema_version (version, summary, applied_at) VALUES (99, 'future', 0)");
  std::string message;
  EXPECT_EQ(error_code_of([&] { open_postgres_database(url_, 1); }, &message),
            ErrorCode::unsupported);
  EXPECT_NE(message.find("schema version 99"), std::string::npos) << message;
}

TEST_F(PostgresStoreTest, BackupIsAPgDumpThatRestores) {
  store_a_->insert_certificate(fake_certificate("a"));
  store_a_->upsert_group({.name = "g", .email = "g@example.com"});
  test::TempDir dir;
  const auto destination = dir.path() / "backup.dump";
  store_a_->backup(destination);
  EXPECT_EQ(std::filesystem::status(destination).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::string message;
  EXPECT_EQ(error_code_of([&] { store_a_->backup(destination); }, &message), ErrorCode::conflict);
  EXPECT_NE(message.find("already exists"), std::string::npos) << message;

  const std::string copy_url = test::fresh_database_url();
  const auto restored = test::run_process({std::string(test::kPostgresBin) + "/pg_restore",
                                           "--dbname=" + copy_url, destination.string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto copy = open_postgres_store(open_postgres_database(copy_url, 1));
  EXPECT_EQ(copy->schema_version(), latest_postgres_schema_version());
  EXPECT_EQ(copy->certificate(sha256_hex("a"))->emails,
            (std::vector<std::string>{"a@example.com"}));
  EXPECT_TRUE(copy->group("g").has_value());
}

TEST_F(PostgresStoreTest, BackupOfAnUnreachableDatabaseNamesPgDump) {
  auto gone = open_postgres_store(std::make_shared<postgres::Database>(
      "postgresql:///nosuchdb?host=/nonexistent-socket-dir&user=smime", 1));
  test::TempDir dir;
  std::string message;
  EXPECT_EQ(error_code_of([&] { gone->backup(dir.path() / "x.dump"); }, &message), ErrorCode::io);
  EXPECT_NE(message.find("pg_dump failed"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x.dump"));
}

// ---- the libpq layer ----

TEST_F(PostgresStoreTest, UnreachableServerIsAStorageFailure) {
  std::string message;
  EXPECT_EQ(
      error_code_of([] { Connection::open("postgresql:///x?host=/nonexistent-dir"); }, &message),
      ErrorCode::storage_failure);
  EXPECT_NE(message.find("Cannot connect"), std::string::npos) << message;
}

TEST_F(PostgresStoreTest, ConstraintViolationsMapToConflictAndInvalidInput) {
  node_a_->with_connection([](Connection& db) {
    db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v > 0))");
    db.execute("INSERT INTO t VALUES (1, 1)");
  });
  const auto insert = [&](int k, int v) {
    node_a_->with_connection([&](Connection& db) {
      db.execute("INSERT INTO t VALUES ($1, $2)", Params().add(k).add(v));
    });
  };
  EXPECT_EQ(error_code_of([&] { insert(1, 2); }), ErrorCode::conflict);
  EXPECT_EQ(error_code_of([&] { insert(2, 0); }), ErrorCode::invalid_input);
  try {
    insert(1, 2);
  } catch (const postgres::PostgresError& e) {
    EXPECT_EQ(e.sqlstate(), postgres::kUniqueViolation);
    EXPECT_FALSE(e.connection_lost());
  }
  EXPECT_EQ(error_code_of(
                [&] { node_a_->with_connection([](Connection& db) { db.execute("SELEC 1"); }); }),
            ErrorCode::internal);
}

TEST_F(PostgresStoreTest, AFullPoolMakesWaitersFailWithStorageBusy) {
  postgres::Database small(url_, 1, std::chrono::milliseconds(200));
  std::barrier holding(2);
  std::barrier release(2);
  std::thread holder([&] {
    small.in_transaction([&](Connection&) {
      holding.arrive_and_wait();
      release.arrive_and_wait();
    });
  });
  holding.arrive_and_wait();
  std::string message;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(error_code_of([&] { small.with_connection([](Connection&) {}); }, &message),
            ErrorCode::storage_busy);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(190));
  EXPECT_NE(message.find("No database connection"), std::string::npos) << message;
  release.arrive_and_wait();
  holder.join();
  small.with_connection([](Connection& db) { db.execute("SELECT 1"); });  // free again
}

TEST_F(PostgresStoreTest, NestedCallsOnOneThreadJoinItsTransaction) {
  node_a_->with_connection([](Connection& db) { db.exec("CREATE TABLE t (v INTEGER)"); });
  const auto count = [&] {
    return node_b_->query(
        [](Connection& db) { return db.execute("SELECT count(*) FROM t").int64(0, 0); });
  };
  node_a_->in_transaction([&](Connection& outer) {
    EXPECT_TRUE(node_a_->in_transaction_on_this_thread());
    outer.execute("INSERT INTO t VALUES (1)");
    node_a_->with_connection([&](Connection& joined) {
      EXPECT_EQ(&joined, &outer);
      EXPECT_EQ(joined.execute("SELECT count(*) FROM t").int64(0, 0), 1);
    });
    // A failed nested transaction undoes only itself (a savepoint).
    EXPECT_THROW(node_a_->in_transaction([&](Connection& inner) {
      EXPECT_EQ(&inner, &outer);
      inner.execute("INSERT INTO t VALUES (2)");
      throw std::runtime_error("inner");
    }),
                 std::runtime_error);
    node_a_->in_transaction([&](Connection& inner) { inner.execute("INSERT INTO t VALUES (3)"); });
    // Another thread does not join it, and sees nothing before the commit.
    std::thread other([&] {
      EXPECT_FALSE(node_a_->in_transaction_on_this_thread());
      node_a_->with_connection([&](Connection& own) {
        EXPECT_NE(&own, &outer);
        EXPECT_EQ(own.execute("SELECT count(*) FROM t").int64(0, 0), 0);
      });
    });
    other.join();
    EXPECT_EQ(count(), 0);
  });
  EXPECT_FALSE(node_a_->in_transaction_on_this_thread());
  EXPECT_EQ(count(), 2);
}

TEST_F(PostgresStoreTest, ADeadlockIsRetriedAndBothTransactionsCommit) {
  node_a_->with_connection([](Connection& db) {
    db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)");
    db.exec("INSERT INTO t VALUES (1, 0), (2, 0)");
  });
  std::barrier both_locked(2);
  std::atomic<int> attempts{0};
  // Each takes one row, then the other's: the server aborts one of them (40P01).
  const auto cross = [&](postgres::Database& node, int first, int second) {
    bool first_attempt = true;
    node.in_transaction([&](Connection& db) {
      ++attempts;
      db.execute("UPDATE t SET v = v + 1 WHERE k = $1", Params().add(first));
      if (first_attempt) {
        first_attempt = false;
        both_locked.arrive_and_wait();
      }
      db.execute("UPDATE t SET v = v + 1 WHERE k = $1", Params().add(second));
    });
  };
  std::thread a([&] { cross(*node_a_, 1, 2); });
  std::thread b([&] { cross(*node_b_, 2, 1); });
  a.join();
  b.join();
  EXPECT_EQ(attempts, 3);  // one of the two ran twice
  node_a_->with_connection(
      [](Connection& db) { EXPECT_EQ(db.execute("SELECT sum(v) FROM t").int64(0, 0), 4); });
}

TEST_F(PostgresStoreTest, ATransactionWhoseConnectionIsKilledIsRunAgainOnANewOne) {
  node_a_->with_connection([](Connection& db) { db.exec("CREATE TABLE t (v INTEGER)"); });
  int attempts = 0;
  node_a_->in_transaction([&](Connection& db) {
    ++attempts;
    db.execute("INSERT INTO t VALUES (1)");
    if (attempts == 1) {
      // What a server restart or fail-over does to a session in the middle of a transaction.
      const std::int64_t pid = db.execute("SELECT pg_backend_pid()").int64(0, 0);
      node_b_->with_connection([&](Connection& other) {
        other.execute("SELECT pg_terminate_backend($1)", Params().add(pid));
      });
    }
    db.execute("INSERT INTO t VALUES (2)");
  });
  EXPECT_EQ(attempts, 2);
  // The first attempt's insert went with its session: each row is there once.
  node_b_->with_connection(
      [](Connection& db) { EXPECT_EQ(db.execute("SELECT count(*) FROM t").int64(0, 0), 2); });
  // An idle pooled connection that the server ended is noticed when it is next taken: the
  // statement runs on a new session.
  const std::int64_t pid = node_a_->query(
      [](Connection& db) { return db.execute("SELECT pg_backend_pid()").int64(0, 0); });
  node_b_->with_connection([&](Connection& other) {
    other.execute("SELECT pg_terminate_backend($1, 5000)", Params().add(pid));  // waits for it
  });
  const std::int64_t new_pid = node_a_->query(
      [](Connection& db) { return db.execute("SELECT pg_backend_pid()").int64(0, 0); });
  EXPECT_NE(new_pid, pid);
}

TEST_F(PostgresStoreTest, AdvisoryLockSerialisesTwoNodes) {
  std::atomic<bool> inside{false};
  std::atomic<int> overlaps{0};
  const auto critical_section = [&](Connection& db) {
    postgres::advisory_xact_lock(db, 42);
    if (inside.exchange(true)) ++overlaps;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    inside = false;
  };
  constexpr int kRounds = 20;
  // One node through its pool, the other on a connection of its own (as a group committer).
  std::thread a([&] {
    for (int i = 0; i < kRounds; ++i) node_a_->in_transaction(critical_section);
  });
  std::thread b([&] {
    Connection own = node_b_->open_connection();
    for (int i = 0; i < kRounds; ++i) postgres::run_transaction(own, critical_section);
  });
  a.join();
  b.join();
  EXPECT_EQ(overlaps, 0);
}

TEST_F(PostgresStoreTest, ArraysAndByteaRoundTripThroughTheServer) {
  const std::vector<std::string> items = {"a", "b\"c", "d\\e", "x,y", "", "{}", "NULL", "ü"};
  node_a_->with_connection([&](Connection& db) {
    const auto rows =
        db.execute("SELECT $1::text[]", Params().add(postgres::to_array_literal(items)));
    EXPECT_EQ(rows.text_array(0, 0), items);
    EXPECT_TRUE(db.execute("SELECT '{}'::text[]").text_array(0, 0).empty());
    const std::vector<unsigned char> bytes = {0x00, 0xff, 0x5c, 0x27, 0x30};
    EXPECT_EQ(db.execute("SELECT $1::bytea", Params().add(bytes)).bytea(0, 0), bytes);
    EXPECT_TRUE(db.execute("SELECT ''::bytea").bytea(0, 0).empty());
  });
  EXPECT_THROW(postgres::parse_array_literal("{\"open"), Error);
  EXPECT_THROW(postgres::parse_array_literal("a,b"), Error);
}

}  // namespace
}  // namespace smime::store
