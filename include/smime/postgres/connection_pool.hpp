// A bounded set of connections to one database, opened when first needed. A thread takes one
// for a statement or a whole transaction and gives it back; when all are taken, it waits up to
// the acquire timeout and then gets Error(storage_busy). A connection that the server closed
// meanwhile (restart, fail-over) is reopened when it is next taken, so the pool recovers as
// soon as the server is back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "smime/postgres/connection.hpp"

namespace smime::postgres {

class ConnectionPool {
 public:
  // One connection taken from the pool, given back when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    ~Lease();
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    Connection& connection() noexcept { return *connection_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Error(invalid_input) for a size of 0.
  ConnectionPool(std::string url, std::size_t size, std::chrono::milliseconds acquire_timeout);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection (checked, reopened when the server closed it), or a new one while fewer
  // than `size` are open. Error(storage_busy) after waiting the acquire timeout;
  // PostgresError(storage_failure) when the server cannot be reached.
  Lease acquire();

  const std::string& url() const noexcept { return url_; }
  std::size_t size() const noexcept { return size_; }

 private:
  void give_back(std::unique_ptr<Connection> connection) noexcept;

  const std::string url_;
  const std::size_t size_;
  const std::chrono::milliseconds acquire_timeout_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle plus leased, plus those being opened
};

}  // namespace smime::postgres
