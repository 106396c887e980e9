// One reading of the store's revision per request. While a RevisionScope lives on a thread,
// current_revision() reads the store's revision once and then answers that value, so that the
// caches asked during one request (trust anchors, certificate selections) share one query; on
// PostgreSQL that is one round trip instead of one per cache. A change committed during the
// request is used by the next one, as before: each cache already read the revision first.
#pragma once

#include <cstdint>
#include <optional>

#include "smime/store/store.hpp"

namespace smime::store {

class RevisionScope {
 public:
  // Opened by the use case that serves one request. A scope inside another shares the outer.
  RevisionScope() noexcept;

  ~RevisionScope();
  RevisionScope(const RevisionScope&) = delete;
  RevisionScope& operator=(const RevisionScope&) = delete;

 private:
  friend std::int64_t current_revision(Store& store);
  RevisionScope* outer_;
  const Store* store_ = nullptr;
  std::optional<std::int64_t> revision_;
};

// A revision already read for the request this thread serves (with its API token,
// ApiToken::store_revision): the next outermost RevisionScope opened on the thread while the
// seed lives starts with it instead of reading it, for the first store asked (which must be
// the store on the token's database). Used once; scopes opened after that read as before.
class RevisionSeed {
 public:
  explicit RevisionSeed(std::optional<std::int64_t> revision) noexcept;
  ~RevisionSeed();
  RevisionSeed(const RevisionSeed&) = delete;
  RevisionSeed& operator=(const RevisionSeed&) = delete;
};

// store.revision(), read at most once per store within this thread's RevisionScope (every
// time without one).
std::int64_t current_revision(Store& store);

}  // namespace smime::store
