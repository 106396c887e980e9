#include "support/store_backends.hpp"

#include <stdexcept>

#include "smime/postgres/connection.hpp"
#include "smime/postgres/database.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/sqlite/database.hpp"
#include "smime/store/postgres_store.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/postgres_server.hpp"

namespace smime::test {

namespace {

// Pool size of the tests' PostgreSQL stores: the concurrency tests run four threads.
constexpr std::size_t kTestPoolSize = 4;

std::string sqlite_scalar(const std::filesystem::path& file, const std::string& sql,
                          int flags = SQLITE_OPEN_READONLY) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  sqlite::SqlitePtr db(raw);
  if (rc != SQLITE_OK) throw std::runtime_error("cannot open " + file.string());
  sqlite3_stmt* stmt_raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt_raw, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db.get()));
  }
  sqlite::SqliteStmtPtr stmt(stmt_raw);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return {};
  const auto* text = sqlite3_column_text(stmt.get(), 0);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

}  // namespace

std::string backend_test_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "Sqlite" : "Postgres";
}

void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::sqlite ? "Sqlite" : "Postgres");
}

BackendDatabase::BackendDatabase(Backend backend) : backend_(backend) {
  if (backend_ == Backend::sqlite) {
    // The parent directory does not exist yet: opening creates it.
    file_ = dir_.path() / "data" / "store.db";
    sqlite_ = store::open_sqlite_database(file_);
    store_ = store::open_sqlite_store(sqlite_);
    tokens_ = store::open_sqlite_api_token_store(sqlite_);
  } else {
    url_ = fresh_database_url();
    postgres_ = store::open_postgres_database(url_, kTestPoolSize);
    store_ = store::open_postgres_store(postgres_);
    tokens_ = store::open_postgres_api_token_store(postgres_);
  }
}

BackendDatabase::~BackendDatabase() = default;

Store& BackendDatabase::store() {
  return *store_;
}

ApiTokenStore& BackendDatabase::tokens() {
  return *tokens_;
}

std::unique_ptr<Store> BackendDatabase::open_other_store() const {
  if (backend_ == Backend::sqlite) return store::open_sqlite_store(file_);
  return store::open_postgres_store(store::open_postgres_database(url_, kTestPoolSize));
}

std::unique_ptr<ApiTokenStore> BackendDatabase::open_other_tokens() const {
  if (backend_ == Backend::sqlite) return store::open_sqlite_api_token_store(file_);
  return store::open_postgres_api_token_store(store::open_postgres_database(url_, kTestPoolSize));
}

std::string BackendDatabase::raw_query(const std::string& sql) const {
  if (backend_ == Backend::sqlite) return sqlite_scalar(file_, sql);
  postgres::Connection connection = postgres::Connection::open(url_);
  const postgres::Result rows = connection.execute(sql);
  return rows.empty() ? std::string() : rows.text(0, 0);
}

void BackendDatabase::raw_exec(const std::string& sql) const {
  if (backend_ == Backend::sqlite) {
    sqlite_scalar(file_, sql, SQLITE_OPEN_READWRITE);
    return;
  }
  postgres::Connection::open(url_).exec(sql);
}

}  // namespace smime::test
