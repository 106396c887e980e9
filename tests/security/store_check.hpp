// What every attack must leave behind: an audit log whose hash chain `smimectl log verify`
// finds intact, and a database SQLite's integrity_check finds sound.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {

inline void expect_store_intact(const std::filesystem::path& home) {
  const ProcessResult verify =
      run_process({SMIME_TEST_SMIMECTL, "--home", home.string(), "log", "verify"},
                  {{"SMIME_TOKEN_LABEL", kTestTokenLabel}});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const ProcessResult integrity =
      run_process({"sqlite3", (home / "smime.db").string(), "PRAGMA integrity_check;"});
  EXPECT_EQ(integrity.exit_code, 0) << integrity.err;
  EXPECT_EQ(integrity.out, "ok\n");
}

}  // namespace smime::test
