// The audit log as administrators read it, and the node's health: pages say whether more
// entries follow, bad limits are refused, and the health probe runs at most once per interval.
#include <gtest/gtest.h>

#include "app_fixture.hpp"
#include "smime/common/error.hpp"
#include "smime/sqlite/connection.hpp"

namespace smime::test {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

class SystemUseCasesTest : public AppTest {
 protected:
  void set_groups(int n) {
    for (int i = 1; i <= n; ++i) {
      app_->groups.set(caller_,
                       {"group" + std::to_string(i), "g" + std::to_string(i) + "@example.org",
                        store::DefaultBehaviour::sign});
    }
  }
};

TEST_F(SystemUseCasesTest, LogPagesAreNewestFirstAndSayWhetherMoreFollow) {
  set_groups(3);
  audit::AuditQuery query;
  query.limit = 2;
  const app::LogPage first = app_->logs.list(query);
  ASSERT_EQ(first.entries.size(), 2u);
  EXPECT_EQ(first.entries[0].id, 3);
  EXPECT_EQ(first.entries[1].id, 2);
  EXPECT_TRUE(first.more);
  ASSERT_TRUE(first.total.has_value());
  EXPECT_EQ(*first.total, 3);

  query.offset = 2;
  const app::LogPage last = app_->logs.list(query);
  ASSERT_EQ(last.entries.size(), 1u);
  EXPECT_EQ(last.entries[0].id, 1);
  EXPECT_FALSE(last.more);

  audit::AuditQuery failed;
  failed.status = audit::Status::failed;
  const app::LogPage none = app_->logs.list(failed);
  EXPECT_TRUE(none.entries.empty());
  EXPECT_EQ(none.total.value_or(-1), 0);
}

TEST_F(SystemUseCasesTest, LogLimitOutsideItsRangeIsRefused) {
  for (int limit : {0, -1, audit::kMaxListLimit + 1}) {
    audit::AuditQuery query;
    query.limit = limit;
    try {
      app_->logs.list(query);
      ADD_FAILURE() << "limit " << limit << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    }
  }
}

TEST_F(SystemUseCasesTest, VerifyReportsTheChainOfWhatWasRecorded) {
  set_groups(2);
  const audit::VerifyReport report = app_->logs.verify({});
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, 2);
  EXPECT_EQ(report.last_id, 2);
}

TEST_F(SystemUseCasesTest, HealthNamesTheFailingCheckAndProbesOncePerInterval) {
  token_reachable_ = false;
  const app::Health down = app_->health.check(milliseconds(0));
  EXPECT_FALSE(down.ok);
  ASSERT_EQ(down.checks.size(), 2u);
  EXPECT_EQ(down.checks[0].name, "token");
  EXPECT_FALSE(down.checks[0].ok);
  EXPECT_NE(down.checks[0].detail.find("The token was removed"), std::string::npos);
  EXPECT_EQ(down.checks[1].name, "database");
  EXPECT_TRUE(down.checks[1].ok) << down.checks[1].detail;
  EXPECT_EQ(token_pings_, 1);

  token_reachable_ = true;
  EXPECT_FALSE(app_->health.check(hours(1)).ok) << "the last probe is kept within the interval";
  EXPECT_EQ(token_pings_, 1);
  EXPECT_TRUE(app_->health.check(milliseconds(0)).ok);
  EXPECT_EQ(token_pings_, 2);
}

TEST_F(SystemUseCasesTest, HealthReportsADatabaseThatTakesNoWrite) {
  {
    auto db = sqlite::Connection::open(file_);
    db.exec(
        "CREATE TRIGGER refuse_probe BEFORE UPDATE ON health_probe "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
        "CREATE TRIGGER refuse_probe_insert BEFORE INSERT ON health_probe "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
  }
  const app::Health health = app_->health.check(milliseconds(0));
  EXPECT_FALSE(health.ok);
  EXPECT_TRUE(health.checks[0].ok);
  EXPECT_FALSE(health.checks[1].ok);
  EXPECT_FALSE(health.checks[1].detail.empty());
}

}  // namespace
}  // namespace smime::test
