// One SQLite connection shared by the objects that must be able to write in one transaction:
// the store, the API tokens and the audit log's in-transaction appends. A recursive mutex
// serialises its users (a transaction's body calls the other users on the same thread);
// other threads wait for the whole transaction, so they never join it by accident.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "smime/sqlite/connection.hpp"

namespace smime::sqlite {

class Database {
 public:
  Database(std::filesystem::path file, Connection connection);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs body in one IMMEDIATE transaction (a savepoint inside an enclosing one on this
  // thread): committed when it returns, rolled back when it throws.
  void in_transaction(const std::function<void(Connection&)>& body);

  // For users that run single statements: lock mutex() while using connection().
  std::recursive_mutex& mutex() noexcept { return mutex_; }
  Connection& connection() noexcept { return connection_; }
  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
  std::recursive_mutex mutex_;
  Connection connection_;
};

}  // namespace smime::sqlite
