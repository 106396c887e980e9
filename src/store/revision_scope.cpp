#include "smime/store/revision_scope.hpp"

#include <utility>

namespace smime::store {

namespace {
thread_local RevisionScope* innermost = nullptr;
thread_local std::optional<std::int64_t> seed;
}  // namespace

RevisionScope::RevisionScope() noexcept : outer_(innermost) {
  if (outer_ != nullptr) return;
  innermost = this;
  revision_ = std::exchange(seed, std::nullopt);  // store_ is the first store asked
}

RevisionScope::~RevisionScope() {
  if (outer_ == nullptr) innermost = nullptr;
}

RevisionSeed::RevisionSeed(std::optional<std::int64_t> revision) noexcept {
  seed = revision;
}

RevisionSeed::~RevisionSeed() {
  seed.reset();
}

std::int64_t current_revision(Store& store) {
  RevisionScope* scope = innermost;
  if (scope == nullptr) return store.revision();
  if (scope->revision_ && scope->store_ == nullptr) scope->store_ = &store;  // the seed's store
  if (!scope->revision_ || scope->store_ != &store) {
    scope->revision_ = store.revision();
    scope->store_ = &store;
  }
  return *scope->revision_;
}

}  // namespace smime::store
