// What a failing database is reported as (issue 11 item 18): each storage fault has a code of
// its own, so that smimed answers 503 naming it and a balancer can route around the node.
#include <gtest/gtest.h>

#include "smime/common/error.hpp"
#include "smime/sqlite/connection.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::sqlite {
namespace {

ErrorCode code_of(const std::function<void()>& body, std::string* message = nullptr) {
  try {
    body();
  } catch (const Error& e) {
    if (message != nullptr) *message = e.what();
    return e.code();
  }
  return ErrorCode::internal;
}

class StorageErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Connection db = Connection::open(file_);
    db.exec("CREATE TABLE t (x INTEGER PRIMARY KEY, y TEXT NOT NULL)");
  }
  test::TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "t.db";
};

TEST_F(StorageErrorsTest, ALockHeldPastTheBusyTimeoutIsStorageBusy) {
  Connection holder = Connection::open(file_);
  holder.exec("BEGIN IMMEDIATE");
  Connection writer = Connection::open(file_);
  writer.set_busy_timeout(std::chrono::milliseconds(50));
  std::string message;
  EXPECT_EQ(code_of([&] { writer.exec("INSERT INTO t (y) VALUES ('a')"); }, &message),
            ErrorCode::storage_busy)
      << message;
  holder.exec("ROLLBACK");
  EXPECT_NO_THROW(writer.exec("INSERT INTO t (y) VALUES ('a')"));
}

TEST_F(StorageErrorsTest, AReadOnlyDatabaseIsStorageReadOnly) {
  Connection db = Connection::open(file_);
  db.exec("PRAGMA query_only = 1");
  EXPECT_EQ(code_of([&] { db.exec("INSERT INTO t (y) VALUES ('a')"); }),
            ErrorCode::storage_read_only);
}

TEST_F(StorageErrorsTest, ATriggerThatRefusesTheWriteIsAStorageFailure) {
  Connection db = Connection::open(file_);
  db.exec("CREATE TRIGGER no BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'refused'); END");
  std::string message;
  EXPECT_EQ(code_of([&] { db.exec("INSERT INTO t (y) VALUES ('a')"); }, &message),
            ErrorCode::storage_failure);
  EXPECT_NE(message.find("refused"), std::string::npos);
}

TEST_F(StorageErrorsTest, ConstraintsStayTheRequestsFault) {
  Connection db = Connection::open(file_);
  db.exec("INSERT INTO t (x, y) VALUES (1, 'a')");
  EXPECT_EQ(code_of([&] { db.exec("INSERT INTO t (x, y) VALUES (1, 'b')"); }), ErrorCode::conflict);
  EXPECT_EQ(code_of([&] { db.exec("INSERT INTO t (y) VALUES (NULL)"); }), ErrorCode::invalid_input);
}

TEST(StorageErrorCodesTest, StorageAndTokenErrorsAreRecognised) {
  for (ErrorCode code : {ErrorCode::storage_full, ErrorCode::storage_read_only,
                         ErrorCode::storage_busy, ErrorCode::storage_failure}) {
    EXPECT_TRUE(is_storage_error(code)) << to_string(code);
    EXPECT_FALSE(is_token_error(code)) << to_string(code);
  }
  EXPECT_TRUE(is_token_error(ErrorCode::token_failure));
  EXPECT_FALSE(is_storage_error(ErrorCode::io));
}

}  // namespace
}  // namespace smime::sqlite
