// smimectl log verify's engine: the hash chain detects edited, deleted (middle, first, last)
// and reordered rows made with plain sqlite3 or psql behind the appliance's back, with the
// same ChainProblem on both backends.
#include <gtest/gtest.h>

#include "audit_test_support.hpp"

namespace smime::audit::testing {
namespace {

using AuditVerifyTest = AuditTest;

INSTANTIATE_TEST_SUITE_P(Backends, AuditVerifyTest, test::kAllBackends, test::backend_test_name);

TEST_P(AuditVerifyTest, AnEmptyAndAGrowingLogAreIntact) {
  VerifyReport empty = verify();
  EXPECT_TRUE(empty.intact) << empty.reason;
  EXPECT_EQ(empty.entries, 0);
  EXPECT_EQ(empty.head_hash, kGenesisHash);

  write_entries(5);
  write_entries(3);  // a second object (as a second process would) continues the chain
  VerifyReport report = verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, 8);
  EXPECT_EQ(report.last_id, 8);
  EXPECT_EQ(report.head_hash, raw().scalar("SELECT hash FROM audit_log WHERE id = 8"));
}

TEST_P(AuditVerifyTest, DetectsAnEditedField) {
  write_entries(5);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("UPDATE audit_log SET detail = 'nothing happened' WHERE id = 3");
  VerifyReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.problem, ChainProblem::edited);
  EXPECT_EQ(report.broken_id, 3);
  EXPECT_NE(report.reason.find("row 3 was edited"), std::string::npos) << report.reason;
}

TEST_P(AuditVerifyTest, DetectsAnEditedListAndAnUndecodableColumn) {
  write_entries(3);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("UPDATE audit_log SET addresses = '[\"someone@else.org\"]' WHERE id = 2");
  EXPECT_EQ(verify().broken_id, 2);
  db.exec("UPDATE audit_log SET addresses = 'not json' WHERE id = 1");
  VerifyReport report = verify();
  EXPECT_EQ(report.problem, ChainProblem::edited);
  EXPECT_EQ(report.broken_id, 1);
}

TEST_P(AuditVerifyTest, DetectsAnEditedStoredHash) {
  write_entries(4);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("UPDATE audit_log SET hash = '" + std::string(64, 'f') + "' WHERE id = 2");
  VerifyReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_id, 2);
  EXPECT_EQ(report.problem, ChainProblem::edited);
}

TEST_P(AuditVerifyTest, DetectsADeletedMiddleRow) {
  write_entries(5);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("DELETE FROM audit_log WHERE id = 3");
  VerifyReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.problem, ChainProblem::deleted);
  EXPECT_EQ(report.broken_id, 3);
  EXPECT_NE(report.reason.find("row 3 deleted"), std::string::npos) << report.reason;
}

TEST_P(AuditVerifyTest, DetectsDeletedFirstRows) {
  write_entries(4);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("DELETE FROM audit_log WHERE id <= 2");
  VerifyReport report = verify();
  EXPECT_EQ(report.problem, ChainProblem::deleted);
  EXPECT_EQ(report.broken_id, 1);
  EXPECT_NE(report.reason.find("rows 1 to 2 deleted"), std::string::npos) << report.reason;
}

TEST_P(AuditVerifyTest, DetectsADeletedLastRowByTheHead) {
  write_entries(5);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("DELETE FROM audit_log WHERE id = 5");
  VerifyReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.problem, ChainProblem::deleted);
  EXPECT_EQ(report.broken_id, 5);
  EXPECT_NE(report.reason.find("head records row 5"), std::string::npos) << report.reason;
}

TEST_P(AuditVerifyTest, DeletedLastRowWithAConsistentlyRewrittenHeadNeedsAnAnchor) {
  write_entries(5);
  const auto log = open_log();
  const VerifyReport before = log->verify();
  ASSERT_TRUE(before.intact);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("DELETE FROM audit_log WHERE id = 5");
  db.exec(
      "UPDATE audit_head SET last_id = 4, entries = 4, hash = "
      "(SELECT hash FROM audit_log WHERE id = 4)");
  // The documented limit: the chain inside the file is consistent again ...
  EXPECT_TRUE(log->verify().intact);
  // ... but not with the head kept elsewhere.
  VerifyOptions anchored;
  anchored.anchor = {before.last_id, before.head_hash};
  VerifyReport report = log->verify(anchored);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.problem, ChainProblem::deleted);
  EXPECT_EQ(report.broken_id, 5);
}

TEST_P(AuditVerifyTest, DetectsSwappedRows) {
  write_entries(5);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("UPDATE audit_log SET id = 100 WHERE id = 2");
  db.exec("UPDATE audit_log SET id = 2 WHERE id = 3");
  db.exec("UPDATE audit_log SET id = 3 WHERE id = 100");
  VerifyReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.problem, ChainProblem::reordered);
  EXPECT_EQ(report.broken_id, 2);
  EXPECT_NE(report.reason.find("out of order"), std::string::npos) << report.reason;
}

TEST_P(AuditVerifyTest, DetectsADeletionHiddenByRenumbering) {
  write_entries(5);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("DELETE FROM audit_log WHERE id = 2");
  // PostgreSQL checks the primary key row by row in no set order: renumber through negatives.
  db.exec(sql("UPDATE audit_log SET id = id - 1 WHERE id > 2",
              "UPDATE audit_log SET id = -id WHERE id > 2; "
              "UPDATE audit_log SET id = -id - 1 WHERE id < 0"));
  db.exec("UPDATE audit_head SET last_id = 4, entries = 4");
  VerifyReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.problem, ChainProblem::deleted);
  EXPECT_EQ(report.broken_id, 2);
}

TEST_P(AuditVerifyTest, DetectsRowsAddedOutsideTheLog) {
  write_entries(2);
  RawDatabase db = raw();
  db.exec(
      "INSERT INTO audit_log (id, at_ms, actor, direction, operation, status, previous_hash, "
      "hash) SELECT 3, 0, 'x', 'admin', 'forged', 'ok', hash, hash FROM audit_log WHERE id = 2");
  VerifyReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_id, 3);
}

TEST_P(AuditVerifyTest, WritingContinuesAfterTheHeadAndKeepsTheBreakVisible) {
  write_entries(3);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("DELETE FROM audit_log WHERE id = 3");
  write_entries(1);  // id 4, chained to the deleted row 3 through the head
  VerifyReport report = verify();
  EXPECT_EQ(report.problem, ChainProblem::deleted);
  EXPECT_EQ(report.broken_id, 3);
}

}  // namespace
}  // namespace smime::audit::testing
