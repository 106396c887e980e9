// AuditLog::record() inside a DeferredDurability scope (how smimed's workers record): it
// returns at once, the scope reports only once every entry is durable (or says which commit
// failed), and one thread's entries share group commits.
#include "smime/audit/deferred_durability.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <vector>

#include "audit_test_support.hpp"

namespace smime::audit::testing {
namespace {

using DeferredDurabilityTest = AuditTest;

INSTANTIATE_TEST_SUITE_P(Backends, DeferredDurabilityTest, test::kAllBackends,
                         test::backend_test_name);

TEST_P(DeferredDurabilityTest, TheScopeReportsOnlyOnceItsEntriesAreInTheLog) {
  const auto log = open_log();
  std::promise<std::pair<std::optional<Error>, std::int64_t>> reported;
  {
    DeferredDurability scope;
    ASSERT_EQ(DeferredDurability::current(), &scope);
    log->record(admin_event("deferred", "first"));
    log->record(admin_event("deferred", "second"));
    scope.when_durable([&](const std::optional<Error>& failure) {
      // Read on the writer's thread as it reports: both entries are already committed.
      reported.set_value({failure, log->count(AuditQuery{})});
    });
  }
  EXPECT_EQ(DeferredDurability::current(), nullptr);
  const auto [failure, count] = reported.get_future().get();
  EXPECT_FALSE(failure.has_value());
  EXPECT_EQ(count, 2);
  EXPECT_TRUE(log->verify().intact);
}

TEST_P(DeferredDurabilityTest, AScopeWithoutEntriesReportsAtOnceOnItsOwnThread) {
  const auto log = open_log();
  DeferredDurability scope;
  bool reported = false;
  scope.when_durable([&](const std::optional<Error>& failure) {
    EXPECT_FALSE(failure.has_value());
    reported = true;
  });
  EXPECT_TRUE(reported);
}

TEST_P(DeferredDurabilityTest, OneThreadsEntriesShareGroupCommits) {
  constexpr int kEntries = 200;
  const auto log = open_log();
  std::vector<std::future<std::optional<Error>>> settled;
  for (int i = 0; i < kEntries; ++i) {
    auto reported = std::make_shared<std::promise<std::optional<Error>>>();
    settled.push_back(reported->get_future());
    DeferredDurability scope;
    log->record(admin_event("deferred", "entry " + std::to_string(i)));
    scope.when_durable(
        [reported](const std::optional<Error>& failure) { reported->set_value(failure); });
  }
  for (auto& one : settled) EXPECT_FALSE(one.get().has_value());
  EXPECT_EQ(log->committed_entries(), static_cast<std::uint64_t>(kEntries));
  // A waiting record() commits one entry per batch from one thread; queued ones gather.
  EXPECT_LT(log->committed_batches(), log->committed_entries());
  EXPECT_EQ(log->queue_depth(), 0u);
  const VerifyReport report = log->verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, kEntries);
}

// Paced by a count of requests at work that never falls (a request stuck in the token), the
// writer still commits every entry: a batch's wait is bounded, and a waiting record() returns.
TEST_P(DeferredDurabilityTest, APacedWriterWhoseRequestsNeverEndStillCommitsEveryEntry) {
  constexpr int kEntries = 20;
  const auto log = open_log();
  log->pace_commits_by([] { return std::size_t{1000}; });
  for (int i = 0; i < kEntries; ++i) log->record(admin_event("paced", std::to_string(i)));
  // One thread waiting for each entry: every batch held one entry, after its bounded wait.
  EXPECT_EQ(log->committed_entries(), static_cast<std::uint64_t>(kEntries));
  EXPECT_EQ(log->committed_batches(), static_cast<std::uint64_t>(kEntries));
  EXPECT_EQ(log->count(AuditQuery{}), kEntries);
}

// Entries queued while other requests are at work wait for one another: one sync for them.
// The count is consulted with the first entry queued (the writer is waiting), and the rest
// arrive within that wait.
TEST_P(DeferredDurabilityTest, EntriesOfRequestsAtWorkShareABatch) {
  constexpr int kEntries = 8;
  // Declared before the log: the writer may still call the pacing while it closes.
  std::promise<void> consulted;
  std::once_flag first;
  const auto log = open_log();
  log->pace_commits_by([&] {
    std::call_once(first, [&] { consulted.set_value(); });
    return std::size_t{kEntries + 3};
  });
  std::vector<std::future<std::optional<Error>>> settled;
  const auto record = [&](int i) {
    auto reported = std::make_shared<std::promise<std::optional<Error>>>();
    settled.push_back(reported->get_future());
    DeferredDurability scope;
    log->record(admin_event("paced", std::to_string(i)));
    scope.when_durable(
        [reported](const std::optional<Error>& failure) { reported->set_value(failure); });
  };
  record(0);
  ASSERT_EQ(consulted.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the writer committed without consulting the requests at work";
  for (int i = 1; i < kEntries; ++i) record(i);
  for (auto& one : settled) EXPECT_FALSE(one.get().has_value());
  EXPECT_EQ(log->committed_entries(), static_cast<std::uint64_t>(kEntries));
  // One batch, or two should this thread lose the processor for the whole wait.
  EXPECT_LE(log->committed_batches(), 2u);
}

// Closing the log while a batch waits for entries that will not come commits what is queued.
TEST_P(DeferredDurabilityTest, ClosingWhileABatchWaitsCommitsIt) {
  {
    const auto log = open_log();
    log->pace_commits_by([] { return std::size_t{1000}; });
    DeferredDurability scope;
    log->record(admin_event("paced", "last"));
  }
  EXPECT_EQ(open_log()->count(AuditQuery{}), 1);
}

TEST(DeferredDurabilitySqliteTest, AFailedCommitIsReportedAndNothingIsInTheLog) {
  const test::TempDir dir;
  const auto file = dir.path() / "audit.db";
  const auto log = std::make_unique<AuditLog>(file);
  RawDatabase(file).exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON audit_log "
      "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
  std::promise<std::optional<Error>> reported;
  {
    DeferredDurability scope;
    log->record(admin_event("deferred"));
    scope.when_durable([&](const std::optional<Error>& failure) { reported.set_value(failure); });
  }
  const std::optional<Error> failure = reported.get_future().get();
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(std::string(failure->what()).find("refused by the test"), std::string::npos)
      << failure->what();
  EXPECT_EQ(log->count(AuditQuery{}), 0);
  // A waiting record() outside a scope still throws the same failure.
  EXPECT_THROW(log->record(admin_event("waiting")), Error);
}

}  // namespace
}  // namespace smime::audit::testing
