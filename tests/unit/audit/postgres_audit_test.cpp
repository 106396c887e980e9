// The audit log on a real PostgreSQL server (started by the tests, tests/support/
// postgres_server): several nodes appending to one chain, entries committing with the changes
// they record, listing and counting, tampering detected, and a restarted server.
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

AuditEvent outgoing_event(const std::string& address) {
  AuditEvent event;
  event.actor = "api:helpdesk";
  event.direction = Direction::outgoing;
  event.operation = "sign";
  event.addresses = {address};
  return event;
}

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

TEST_F(PostgresAuditTest, AnEntryCommitsWithItsChangeOrNotAtAll) {
  Node node(url_);
  AuditEvent kept = admin_event("group.create", "kept");
  node.log.record_with(kept, [&](const std::function<void()>& write_entry) {
    store::GroupRecord group;
    group.name = "sales";
    group.email = "sales@example.org";
    node.store->upsert_group(group);
    write_entry();
  });
  AuditEvent undone = admin_event("group.create", "undone");
  EXPECT_THROW(node.log.record_with(undone,
                                    [&](const std::function<void()>& write_entry) {
                                      store::GroupRecord group;
                                      group.name = "support";
                                      group.email = "support@example.org";
                                      node.store->upsert_group(group);
                                      write_entry();
                                      throw Error(ErrorCode::conflict, "refused after the entry");
                                    }),
               Error);
  EXPECT_TRUE(node.store->group("sales").has_value());
  EXPECT_FALSE(node.store->group("support").has_value()) << "the change was rolled back";
  AuditQuery query;
  query.operation = "group.create";
  const auto entries = node.log.list(query);
  ASSERT_EQ(entries.size(), 1u) << "its entry with it";
  EXPECT_EQ(entries[0].event.detail, "kept");
  EXPECT_TRUE(node.log.verify().intact);
}

TEST_F(PostgresAuditTest, ListingFiltersAndCountsAsOnSqlite) {
  Node node(url_);
  for (int i = 0; i < 5; ++i)
    node.log.record(outgoing_event("Alice" + std::to_string(i) + "@x.org"));
  node.log.record(admin_event("token.create"));
  AuditQuery by_address;
  by_address.address = "alice3";  // case-insensitive substring
  const auto found = node.log.list(by_address);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].event.addresses, std::vector<std::string>{"Alice3@x.org"});

  AuditQuery outgoing;
  outgoing.direction = Direction::outgoing;
  outgoing.limit = 2;
  outgoing.offset = 1;
  const auto page = node.log.list(outgoing);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, 4) << "newest first, after the offset";
  EXPECT_EQ(node.log.known_count(outgoing), 5);
  EXPECT_EQ(node.log.count(by_address), 1);
  EXPECT_FALSE(node.log.known_count(by_address).has_value());
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
