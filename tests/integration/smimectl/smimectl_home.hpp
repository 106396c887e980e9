// smimectl on a home directory of the test's own: its database is the SQLite file smime.db
// there, unless a store URL names a PostgreSQL database.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {

class SmimectlHomeTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "smime.db";

  // No token is touched by the commands these tests run; the environment names this home
  // and (empty: none) the store URL.
  ProcessResult smimectl(const std::vector<std::string>& args, const std::string& store_url = "") {
    std::vector<std::string> argv = {SMIME_TEST_SMIMECTL, "--home", dir_.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv,
                       {{"SMIME_HOME", dir_.path().string()}, {"SMIME_STORE_URL", store_url}});
  }
};

}  // namespace smime::test
