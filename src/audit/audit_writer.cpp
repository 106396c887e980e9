#include "audit_writer.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <tuple>

#include "entry_codec.hpp"
#include "hash_chain.hpp"

namespace smime::audit::detail {

GroupCommitWriter::GroupCommitWriter(sqlite::Connection connection, std::size_t max_batch)
    : db_(std::move(connection)), max_batch_(max_batch == 0 ? 1 : max_batch) {
  // In WAL mode FULL syncs the WAL at every commit: a committed entry survives a power loss,
  // not only a crash of the process (the store's NORMAL does not promise that).
  db_.exec("PRAGMA synchronous=FULL");
  thread_ = std::thread([this] { run(); });
}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  thread_.join();
}

void GroupCommitWriter::append(const AuditEvent& event) {
  Pending pending;
  pending.event = &event;
  depth_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock lock(mutex_);
  if (stopping_) {
    depth_.fetch_sub(1, std::memory_order_relaxed);
    throw Error(ErrorCode::internal, "The audit log is closing");
  }
  queue_.push_back(&pending);
  work_.notify_one();
  done_.wait(lock, [&pending] { return pending.done; });
  depth_.fetch_sub(1, std::memory_order_relaxed);
  if (pending.error) throw *pending.error;
}

void GroupCommitWriter::run() {
  std::vector<Pending*> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is committed
    batch.clear();
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    // Committing (and its fsync) runs unlocked, so new entries gather for the next batch.
    lock.unlock();
    std::optional<Error> failure;
    try {
      commit(batch);
    } catch (const Error& e) {
      failure = e;
    } catch (const std::exception& e) {
      failure = Error(ErrorCode::internal, std::string("Audit log write failed: ") + e.what());
    }
    if (failure)
      spdlog::error("audit log: {} entries not written: {}", batch.size(), failure->what());
    lock.lock();
    for (Pending* pending : batch) {
      pending->error = failure;
      pending->done = true;
    }
    done_.notify_all();
  }
}

void GroupCommitWriter::commit(const std::vector<Pending*>& batch) {
  // IMMEDIATE: the write lock first, so the head read in append_entries is the newest one of
  // every process writing to this file, and no one else can extend the chain before COMMIT.
  sqlite::Transaction transaction(db_);
  std::vector<const AuditEvent*> events;
  events.reserve(batch.size());
  for (const Pending* pending : batch) events.push_back(pending->event);
  append_entries(db_, events);
  transaction.commit();
  entries_.fetch_add(batch.size(), std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);
}

namespace {

// audit_counts, so that listing can say how many entries of a kind there are without a scan.
void count_entries_by_kind(sqlite::Connection& db, std::span<const AuditEvent* const> events) {
  std::map<std::tuple<std::string_view, std::string_view, std::string_view>, std::int64_t> added;
  for (const AuditEvent* event : events) {
    ++added[{to_string(event->direction), event->operation, to_string(event->status)}];
  }
  sqlite::Statement upsert = db.prepare(
      "INSERT INTO audit_counts (direction, operation, status, entries) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (direction, operation, status) DO UPDATE SET entries = entries + ?4");
  for (const auto& [kind, n] : added) {
    upsert.bind(1, std::get<0>(kind)).bind(2, std::get<1>(kind)).bind(3, std::get<2>(kind));
    upsert.bind(4, n).run();
    upsert.reset();
  }
}

}  // namespace

std::int64_t append_entries(sqlite::Connection& db, std::span<const AuditEvent* const> events) {
  std::int64_t last_id = 0;
  std::int64_t count = 0;
  std::string previous;
  {
    sqlite::Statement head =
        db.prepare("SELECT last_id, entries, hash FROM audit_head WHERE id = 1");
    if (!head.step()) {
      throw Error(ErrorCode::internal, "The audit log head is missing (database not migrated?)");
    }
    last_id = head.int64(0);
    count = head.int64(1);
    previous = head.text(2);
  }
  sqlite::Statement insert = db.prepare(
      "INSERT INTO audit_log (id, at_ms, actor, direction, operation, status, message_id, "
      "addresses, fingerprints, detail, needs, previous_hash, hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  for (const AuditEvent* event : events) {
    const std::int64_t id = last_id + 1;
    std::string hash = entry_hash(id, *event, previous);
    insert.bind(1, id)
        .bind(2, event->at_ms)
        .bind(3, event->actor)
        .bind(4, to_string(event->direction))
        .bind(5, event->operation)
        .bind(6, to_string(event->status))
        .bind(7, event->message_id)
        .bind(8, encode_list(event->addresses))
        .bind(9, encode_list(event->fingerprints))
        .bind(10, event->detail)
        .bind(11, encode_list(event->needs))
        .bind(12, previous)
        .bind(13, hash);
    insert.run();
    insert.reset();
    last_id = id;
    ++count;
    previous = std::move(hash);
  }
  db.prepare("UPDATE audit_head SET last_id = ?1, entries = ?2, hash = ?3 WHERE id = 1")
      .bind(1, last_id)
      .bind(2, count)
      .bind(3, previous)
      .run();
  count_entries_by_kind(db, events);
  return last_id;
}

}  // namespace smime::audit::detail
