// The audit log on a real PostgreSQL server (started by the tests, tests/support/
// postgres_server), where it differs from SQLite: several nodes appending to one chain, the
// TRUNCATE guard, and a restarted server. What holds on both backends (listing, counting,
// record_with, tampering, threads and processes appending) is in the parameterised suites
// audit_log_test, audit_verify_test and audit_concurrency_test.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "smime/audit/audit_log.hpp"
#include "smime/common/error.hpp"
#include "smime/postgres/database.hpp"
#include "smime/store/postgres_store.hpp"
#include "support/postgres_server.hpp"
#include "unit/audit/audit_test_support.hpp"

namespace smime::audit {
namespace {

using testing::admin_event;
using testing::outgoing_event;

// One node: its own pool and its own audit log on the shared database.
struct Node {
  explicit Node(const std::string& url)
      : database(store::open_postgres_database(url, 4)),
        store(store::open_postgres_store(database)),
        log(database) {}
  std::shared_ptr<postgres::Database> database;
  std::unique_ptr<store::Store> store;
  AuditLog log;
};

class PostgresAuditTest : public ::testing::Test {
 protected:
  std::string url_ = test::fresh_database_url();
};

TEST_F(PostgresAuditTest, TwoNodesAppendingAtOnceExtendOneChain) {
  Node a(url_);
  Node b(url_);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreads; ++t) {
    threads.emplace_back([&, t] {
      AuditLog& log = t % 2 == 0 ? a.log : b.log;
      for (int i = 0; i < kPerThread; ++i) {
        try {
          log.record(outgoing_event("user" + std::to_string(t) + "@example.org"));
        } catch (const Error&) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  const VerifyReport report = a.log.verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, 2 * kThreads * kPerThread);
  EXPECT_EQ(report.last_id, report.entries) << "no id taken twice, none skipped";
  EXPECT_EQ(b.log.verify().head_hash, report.head_hash) << "both nodes see the same head";
  EXPECT_EQ(a.log.committed_entries() + b.log.committed_entries(),
            static_cast<std::uint64_t>(report.entries));
  EXPECT_LT(a.log.committed_batches(), a.log.committed_entries())
      << "concurrent callers are group-committed";
}

TEST_F(PostgresAuditTest, TheLogIsAppendOnlyAndEditsBehindItsBackAreFound) {
  Node node(url_);
  for (int i = 0; i < 3; ++i) node.log.record(admin_event("key.generate", std::to_string(i)));
  postgres::Connection raw = postgres::Connection::open(url_);
  EXPECT_THROW(raw.exec("UPDATE audit_log SET detail = 'nothing' WHERE id = 2"), Error);
  EXPECT_THROW(raw.exec("DELETE FROM audit_log WHERE id = 3"), Error);
  EXPECT_THROW(raw.exec("TRUNCATE audit_log"), Error);
  EXPECT_TRUE(node.log.verify().intact);

  // Someone who can drop the guards: the chain names the row.
  raw.exec("ALTER TABLE audit_log DISABLE TRIGGER USER");
  raw.exec("UPDATE audit_log SET detail = 'nothing' WHERE id = 2");
  const VerifyReport report = node.log.verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.problem, ChainProblem::edited);
  EXPECT_EQ(report.broken_id, 2);
}

TEST_F(PostgresAuditTest, RecordingResumesWhenTheServerIsBack) {
  Node node(url_);
  node.log.record(admin_event("before"));
  test::postgres_server().stop();
  EXPECT_THROW(node.log.record(admin_event("while down")), Error)
      << "no acknowledgement without a durable entry";
  test::postgres_server().start();
  EXPECT_NO_THROW(node.log.record(admin_event("after")));
  const VerifyReport report = node.log.verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, 2);
}

}  // namespace
}  // namespace smime::audit
