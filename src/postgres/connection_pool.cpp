#include "smime/postgres/connection_pool.hpp"

#include "smime/common/error.hpp"

namespace smime::postgres {

ConnectionPool::Lease::~Lease() {
  if (connection_) pool_->give_back(std::move(connection_));
}

ConnectionPool::ConnectionPool(std::string url, std::size_t size,
                               std::chrono::milliseconds acquire_timeout)
    : url_(std::move(url)), size_(size), acquire_timeout_(acquire_timeout) {
  if (size_ == 0) throw Error(ErrorCode::invalid_input, "A connection pool needs at least one");
}

ConnectionPool::Lease ConnectionPool::acquire() {
  std::unique_ptr<Connection> connection;
  {
    std::unique_lock lock(mutex_);
    const bool available =
        returned_.wait_for(lock, acquire_timeout_, [&] { return !idle_.empty() || open_ < size_; });
    if (!available) {
      throw Error(ErrorCode::storage_busy, "No database connection became free within " +
                                               std::to_string(acquire_timeout_.count()) +
                                               " ms (all " + std::to_string(size_) +
                                               " of the pool are in use)");
    }
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // reserved: opened below, without holding the lock
    }
  }
  try {
    if (!connection) {
      connection = std::make_unique<Connection>(Connection::open(url_));
    } else if (!connection->alive()) {
      connection->reconnect();
    }
  } catch (...) {
    // The slot is free again; a later call tries to connect afresh.
    std::lock_guard lock(mutex_);
    --open_;
    returned_.notify_one();
    throw;
  }
  return Lease(*this, std::move(connection));
}

void ConnectionPool::give_back(std::unique_ptr<Connection> connection) noexcept {
  // A connection left inside a transaction (a bug of a caller) must not carry it to the next
  // user: it is closed, which rolls the transaction back.
  const bool reusable = !connection->in_transaction();
  std::lock_guard lock(mutex_);
  if (reusable) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
  returned_.notify_one();
}

}  // namespace smime::postgres
