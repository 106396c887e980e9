// A PostgreSQL database shared by the objects that must be able to write in one transaction:
// the store, the API tokens and the audit log's in-transaction appends. Unlike the SQLite
// Database (one connection behind a mutex), threads work in parallel, each on a connection of
// the pool: a thread's in_transaction() holds one connection for the whole transaction, and
// every in_transaction() or with_connection() that the same thread calls on the same Database
// meanwhile joins it (a savepoint, or a plain statement in it). Other threads never join it.
//
// The audit log uses this as follows: an entry that must commit with a store change is
// appended inside the store's transaction (in_transaction() on the same thread joins it); its
// group commits run on a thread of their own (so on a connection of their own, from the pool
// or from open_connection()), and serialise the chain's head across nodes with
// advisory_xact_lock() or SELECT ... FOR UPDATE (transaction.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "smime/postgres/connection.hpp"
#include "smime/postgres/connection_pool.hpp"
#include "smime/postgres/transaction.hpp"

namespace smime::postgres {

class Database {
 public:
  // At most `pool_size` connections to `url`; no connection is opened before it is needed.
  // A thread that finds them all in use waits up to `acquire_timeout` (then
  // Error(storage_busy)).
  Database(std::string url, std::size_t pool_size,
           std::chrono::milliseconds acquire_timeout = std::chrono::seconds(10));
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs body in one transaction: committed when it returns, rolled back when it throws. A
  // call inside this thread's open transaction is a savepoint in it. The outermost call
  // retries as run_transaction() does, so body may run more than once.
  void in_transaction(const std::function<void(Connection&)>& body);
  // Runs body with this thread's transaction's connection, or else with a pooled connection
  // in autocommit mode (each statement its own transaction).
  void with_connection(const std::function<void(Connection&)>& body);

  // The same, returning what body returns.
  template <class Body>
  auto transact(Body&& body) -> std::invoke_result_t<Body&, Connection&>;
  template <class Body>
  auto query(Body&& body) -> std::invoke_result_t<Body&, Connection&>;

  // Whether this thread has a transaction open on this Database.
  bool in_transaction_on_this_thread() const;
  // A new connection of its own, outside the pool (a long-lived writer such as the audit
  // log's group commit; run_transaction() for its transactions).
  Connection open_connection() const { return Connection::open(pool_.url()); }

  const std::string& url() const noexcept { return pool_.url(); }
  std::size_t pool_size() const noexcept { return pool_.size(); }

 private:
  Connection* thread_connection() const;
  void set_thread_connection(Connection* connection);

  ConnectionPool pool_;
  mutable std::mutex threads_mutex_;
  std::unordered_map<std::thread::id, Connection*> thread_connections_;
};

template <class Body>
auto Database::transact(Body&& body) -> std::invoke_result_t<Body&, Connection&> {
  using Out = std::invoke_result_t<Body&, Connection&>;
  if constexpr (std::is_void_v<Out>) {
    in_transaction(body);
  } else {
    std::optional<Out> out;
    in_transaction([&](Connection& connection) { out = body(connection); });
    return std::move(*out);
  }
}

template <class Body>
auto Database::query(Body&& body) -> std::invoke_result_t<Body&, Connection&> {
  using Out = std::invoke_result_t<Body&, Connection&>;
  if constexpr (std::is_void_v<Out>) {
    with_connection(body);
  } else {
    std::optional<Out> out;
    with_connection([&](Connection& connection) { out = body(connection); });
    return std::move(*out);
  }
}

}  // namespace smime::postgres
