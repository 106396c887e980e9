// Group commit under load, on SQLite and PostgreSQL: many threads and two processes appending
// at once extend one unbroken chain, and every record() that returned is in it. (Two nodes,
// each with several threads, on one PostgreSQL database: postgres_audit_test.cpp.)
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>

#include "audit_test_support.hpp"

namespace smime::audit::testing {
namespace {

using AuditConcurrencyTest = AuditTest;

INSTANTIATE_TEST_SUITE_P(Backends, AuditConcurrencyTest, test::kAllBackends,
                         test::backend_test_name);

std::set<std::string> details(AuditLog& log) {
  AuditQuery all;
  all.limit = kMaxListLimit;
  std::set<std::string> out;
  for (const auto& entry : log.list(all)) out.insert(entry.event.detail);
  return out;
}

TEST_P(AuditConcurrencyTest, SixteenThreadsGroupCommitOneUnbrokenChain) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 40;
  const auto log = open_log();
  std::atomic<int> failures{0};
  std::vector<std::vector<std::string>> returned(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string detail = "thread " + std::to_string(t) + " entry " + std::to_string(i);
          try {
            log->record(admin_event("load", detail));
            returned[t].push_back(detail);  // only after record() returned
          } catch (const std::exception&) {
            failures.fetch_add(1);
          }
        }
      });
    }
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(log->queue_depth(), 0u);
  EXPECT_EQ(log->committed_entries(), static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_LT(log->committed_batches(), log->committed_entries())
      << "concurrent callers share commits";

  const VerifyReport report = log->verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, kThreads * kPerThread);
  const std::set<std::string> stored = details(*log);
  for (const auto& per_thread : returned) {
    for (const auto& detail : per_thread) EXPECT_TRUE(stored.count(detail)) << detail;
  }
}

TEST_P(AuditConcurrencyTest, TheQueueDepthGaugeCountsWaitingCallers) {
  const auto log = open_log();
  EXPECT_EQ(log->queue_depth(), 0u);
  std::atomic<std::size_t> seen{0};
  std::atomic<bool> stop{false};
  std::jthread sampler([&] {
    while (!stop) seen = std::max(seen.load(), log->queue_depth());
  });
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 20; ++i) log->record(admin_event("load"));
      });
    }
  }
  stop = true;
  sampler.join();
  EXPECT_GE(seen.load(), 1u);
  EXPECT_EQ(log->queue_depth(), 0u);
}

TEST_P(AuditConcurrencyTest, TwoProcessesWritingKeepTheChainIntact) {
  constexpr int kPerProcess = 150;
  write_entries(1);  // the file (database) and schema exist before the fork
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child: its own AuditLog (connection or pool, writer thread) after the fork.
    int rc = 0;
    try {
      const auto log = open_log();
      std::vector<std::jthread> threads;
      for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&log, t] {
          for (int i = 0; i < kPerProcess / 2; ++i) {
            log->record(admin_event("child", std::to_string(t) + "/" + std::to_string(i)));
          }
        });
      }
    } catch (...) {
      rc = 1;
    }
    _exit(rc);
  }
  {
    const auto log = open_log();
    std::vector<std::jthread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kPerProcess / 2; ++i) {
          log->record(admin_event("parent", std::to_string(t) + "/" + std::to_string(i)));
        }
      });
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  const auto log = open_log();
  const VerifyReport report = log->verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, 1 + 2 * kPerProcess);
  AuditQuery child_entries;
  child_entries.operation = "child";
  EXPECT_EQ(log->count(child_entries), kPerProcess);
}

}  // namespace
}  // namespace smime::audit::testing
