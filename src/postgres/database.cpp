#include "smime/postgres/database.hpp"

namespace smime::postgres {

Database::Database(std::string url, std::size_t pool_size,
                   std::chrono::milliseconds acquire_timeout)
    : pool_(std::move(url), pool_size, acquire_timeout) {}

Connection* Database::thread_connection() const {
  std::lock_guard lock(threads_mutex_);
  const auto it = thread_connections_.find(std::this_thread::get_id());
  return it != thread_connections_.end() ? it->second : nullptr;
}

void Database::set_thread_connection(Connection* connection) {
  std::lock_guard lock(threads_mutex_);
  if (connection != nullptr) {
    thread_connections_[std::this_thread::get_id()] = connection;
  } else {
    thread_connections_.erase(std::this_thread::get_id());
  }
}

bool Database::in_transaction_on_this_thread() const {
  return thread_connection() != nullptr;
}

void Database::in_transaction(const std::function<void(Connection&)>& body) {
  if (Connection* joined = thread_connection()) {
    run_transaction(*joined, body);  // a savepoint in the open transaction
    return;
  }
  ConnectionPool::Lease lease = pool_.acquire();
  // Registered for the whole transaction, retries included; removed however it ends.
  struct Registration {
    Database& database;
    ~Registration() { database.set_thread_connection(nullptr); }
  } registration{*this};
  set_thread_connection(&lease.connection());
  run_transaction(lease.connection(), body);
}

void Database::with_connection(const std::function<void(Connection&)>& body) {
  if (Connection* joined = thread_connection()) {
    body(*joined);
    return;
  }
  ConnectionPool::Lease lease = pool_.acquire();
  body(lease.connection());
}

}  // namespace smime::postgres
