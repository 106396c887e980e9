// The store suites run against each backend: SQLite (a fresh file) and PostgreSQL (a fresh
// database on the test process's server, support/postgres_server.hpp). Parameterised tests
// take a Backend; INSTANTIATE_TEST_SUITE_P(..., kAllBackends, backend_test_name) names them
// .../Sqlite and .../Postgres.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "smime/store/api_token_store.hpp"
#include "smime/store/store.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::postgres {
class Database;
}
namespace smime::sqlite {
class Database;
}

namespace smime::test {

using store::ApiTokenStore;
using store::Store;

enum class Backend { sqlite, postgres };

inline const auto kAllBackends = ::testing::Values(Backend::sqlite, Backend::postgres);
std::string backend_test_name(const ::testing::TestParamInfo<Backend>& info);
// So that gtest and ctest print "Sqlite" or "Postgres" for GetParam().
void PrintTo(Backend backend, std::ostream* out);

// One fresh database of a backend, and the stores on it.
class BackendDatabase {
 public:
  explicit BackendDatabase(Backend backend);
  ~BackendDatabase();
  BackendDatabase(const BackendDatabase&) = delete;
  BackendDatabase& operator=(const BackendDatabase&) = delete;

  Backend backend() const noexcept { return backend_; }

  // On the database's shared connection (SQLite) or pool (PostgreSQL), as smimed uses them:
  // the store and the API token store share transactions.
  Store& store();
  ApiTokenStore& tokens();
  // Stores on connections of their own: what another process (another node) sees.
  std::unique_ptr<Store> open_other_store() const;
  std::unique_ptr<ApiTokenStore> open_other_tokens() const;

  // The first column of the first row of `sql` on a new connection of its own ("" when there
  // is no row).
  std::string raw_query(const std::string& sql) const;
  // Runs a statement that returns no rows, on a new connection of its own.
  void raw_exec(const std::string& sql) const;

  // SQLite: the database file. PostgreSQL: its URL.
  const std::filesystem::path& file() const noexcept { return file_; }
  const std::string& url() const noexcept { return url_; }

 private:
  Backend backend_;
  TempDir dir_;
  std::filesystem::path file_;
  std::string url_;
  std::shared_ptr<sqlite::Database> sqlite_;
  std::shared_ptr<postgres::Database> postgres_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ApiTokenStore> tokens_;
};

}  // namespace smime::test
