// The tamper-evident audit log (SPEC §9) in the appliance's database (table audit_log): the
// SQLite file, or the PostgreSQL database several nodes share.
//
// Durability: record() returns only once the entry is committed with synchronous=FULL (the
// WAL is fsync'ed; on PostgreSQL, synchronous_commit), so an acknowledged request always has
// its entry on disk. Concurrent
// callers are group-committed: one writer thread takes every pending entry, appends them in
// one IMMEDIATE transaction and then wakes all of that batch's callers.
//
// Hash chain: hash = SHA-256 over a length-prefixed encoding of every field of the row (id
// included) and the previous row's hash; the first row's previous hash is 64 zeros. The
// writer reads the chain head inside its IMMEDIATE transaction, so several threads and
// several processes (smimed and smimectl) writing at once extend one chain. The head (newest
// id, its hash, the row count) is also kept in audit_head, updated in the same transaction,
// so deleting the newest rows is detected too — unless the same person also rewrites
// audit_head consistently (or recomputes every later hash): an unkeyed chain inside the
// database cannot prove anything against someone who can rewrite the whole file. Compare
// the head that verify() reports with a copy kept elsewhere (e.g. `smimectl log verify
// --json` sent to a SIEM) for that; verify() also checks such an anchor (VerifyOptions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smime/audit/audit_sink.hpp"

namespace smime::store {
class Store;
}
namespace smime::sqlite {
class Database;
}
namespace smime::postgres {
class Database;
}

namespace smime::audit {

// The previous hash of the first entry.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditEntry {
  std::int64_t id = 0;  // position in the chain: 1, 2, 3, ...
  AuditEvent event;     // at_ms is always set
  std::string previous_hash;
  std::string hash;
  // A failed incoming entry whose needs the store now has (only computed when list() is
  // given a store): resubmitting that message should now succeed.
  bool retryable = false;
};

struct AuditQuery {
  std::optional<Direction> direction;
  std::string operation;  // exact; empty: any
  std::optional<Status> status;
  std::string address;          // case-insensitive substring of any address; empty: any
  std::string actor;            // exact; empty: any
  std::string message_id;       // exact; empty: any
  std::int64_t since_ms = 0;    // only entries with at_ms >= since_ms
  bool retryable_only = false;  // only retryable entries (needs a store in list())
  int limit = 100;              // 1 .. kMaxListLimit
  int offset = 0;               // entries to skip (newest first)
};

inline constexpr int kMaxListLimit = 10'000;

enum class ChainProblem {
  none,
  edited,     // a row's fields (or its id) no longer match its hash
  deleted,    // a row is missing: in the middle, at the start, or at the end (by the head)
  reordered,  // a row is chained after a different row than the one before it
  inserted,   // rows beyond the recorded head, or a head that matches no row
};
std::string_view to_string(ChainProblem problem) noexcept;

struct VerifyOptions {
  // An externally kept (id, hash) of an earlier verify: the row must still have that hash.
  std::optional<std::pair<std::int64_t, std::string>> anchor;
};

struct VerifyReport {
  bool intact = true;
  std::int64_t entries = 0;             // rows checked
  std::int64_t last_id = 0;             // newest row id (0 when empty)
  std::string head_hash{kGenesisHash};  // newest row's hash
  ChainProblem problem = ChainProblem::none;
  std::int64_t broken_id = 0;  // the first row where the chain breaks (for deleted: the
                               // first missing id)
  std::string reason;          // a sentence naming the row and what is wrong
};

// The log's read side, as the application layer lists and checks it.
class AuditReader {
 public:
  virtual ~AuditReader() = default;
  // Newest first. With a store, failed incoming entries get `retryable` computed from their
  // needs (see needs_satisfied). Error(invalid_input) for a bad limit or offset.
  virtual std::vector<AuditEntry> list(const AuditQuery& query, store::Store* store) = 0;
  // How many entries match the query (limit, offset ignored) when that is known without
  // reading the log: for filters on direction, operation and status only (counts are kept
  // with every append). nullopt for other filters.
  virtual std::optional<std::int64_t> known_count(const AuditQuery& query) = 0;
  // Walks the whole chain in one read transaction (writers are not blocked).
  virtual VerifyReport verify(const VerifyOptions& options) = 0;
};

// What one entry stores at most (issue 11 item 10), applied when an entry is recorded so that
// it holds for every caller: a request with 100,000 recipients or a 14 MB failure report must
// not become an append-only row of that size.
struct EntryLimits {
  // Addresses, fingerprints and needs kept per entry; the rest are counted in a last item
  // "(N more)".
  std::size_t list_items = 100;
  // Bytes of detail kept (cut at a character boundary, with "... (N more bytes)"), after
  // repeated "; "-separated parts are written once with their count ("x (5 times)").
  std::size_t detail_bytes = 4096;
  // Bytes of the signatures JSON kept: whole layers from the outermost while they fit.
  std::size_t signatures_bytes = 16384;
};

struct AuditLogOptions {
  std::size_t max_batch = 512;  // entries per group commit at most
  EntryLimits entry = {};
};

// The event as record() stores it: a time, valid UTF-8 throughout, and within `limits`.
AuditEvent normalised_event(const AuditEvent& event, const EntryLimits& limits = {});

class AuditLog final : public AuditSink, public AuditReader {
 public:
  // On the appliance's shared database (store::open_sqlite_database): record_with() appends
  // in the store's transactions; record() group-commits on a connection of its own to the same
  // file. Starts the writer thread. Throws a storage Error when the file cannot be opened.
  explicit AuditLog(std::shared_ptr<sqlite::Database> database, AuditLogOptions options = {});
  // On a PostgreSQL database shared by several nodes (store::open_postgres_database): the
  // same, with the chain's head row locked by every appending transaction, so that the nodes
  // extend one chain; record() returns once the entry's commit is flushed on the server.
  explicit AuditLog(std::shared_ptr<postgres::Database> database, AuditLogOptions options = {});
  // The same on a database of its own (created and migrated when needed, like the store).
  explicit AuditLog(const std::filesystem::path& database, AuditLogOptions options = {});
  // Commits what is still queued, then stops the writer.
  ~AuditLog() override;
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Thread-safe. Returns when the entry is durable; throws Error when it could not be
  // written (invalid_input for an event without actor or operation, io for the database).
  // Never call it while holding a write transaction on the same file (inside
  // Store::in_transaction): the writer would wait for that lock until the busy timeout.
  void record(const AuditEvent& event) override;
  // In a transaction of the shared database (joining one that is open on this thread).
  void record_with(AuditEvent& event, const Change& change) override;

  std::vector<AuditEntry> list(const AuditQuery& query, store::Store* store = nullptr) override;
  std::optional<std::int64_t> known_count(const AuditQuery& query) override;
  // Entries matching the query's filters (limit, offset and retryable_only ignored); reads
  // every matching row, so not for the request path (known_count is).
  std::int64_t count(const AuditQuery& query);
  VerifyReport verify(const VerifyOptions& options = {}) override;

  // record() calls not yet returned (waiting for or inside a group commit): a gauge.
  std::size_t queue_depth() const noexcept override;
  // Lets a batch wait up to 400 µs for the entries of other requests at work (the server's
  // count of requests handed to its workers and not yet done), when at least three more are.
  void pace_commits_by(std::function<std::size_t()> requests_at_work);
  std::uint64_t committed_entries() const noexcept;  // by this object, since it was opened
  std::uint64_t committed_batches() const noexcept;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// True when `store` now has what `needs` names (entries written by Need::to_string): at
// least one of the "key" needs (any matching organisation key decrypts) as a certificate
// with a token key, matched by issuer and serial or by subject key identifier; and every
// "certificate" need as a stored certificate (by issuer and serial, else subject key
// identifier, else subject). False for no needs, or when any need is free-form text.
bool needs_satisfied(const std::vector<std::string>& needs, store::Store& store);

}  // namespace smime::audit
