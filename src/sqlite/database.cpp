#include "smime/sqlite/database.hpp"

namespace smime::sqlite {

Database::Database(std::filesystem::path file, Connection connection)
    : file_(std::move(file)), connection_(std::move(connection)) {}

void Database::in_transaction(const std::function<void(Connection&)>& body) {
  std::lock_guard lock(mutex_);
  Transaction transaction(connection_);
  body(connection_);
  transaction.commit();
}

}  // namespace smime::sqlite
