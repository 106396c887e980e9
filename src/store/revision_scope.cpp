#include "smime/store/revision_scope.hpp"

namespace smime::store {

namespace {
thread_local RevisionScope* innermost = nullptr;
}  // namespace

RevisionScope::RevisionScope() noexcept : outer_(innermost) {
  if (outer_ == nullptr) innermost = this;
}

RevisionScope::~RevisionScope() {
  if (outer_ == nullptr) innermost = nullptr;
}

std::int64_t current_revision(Store& store) {
  RevisionScope* scope = innermost;
  if (scope == nullptr) return store.revision();
  if (!scope->revision_ || scope->store_ != &store) {
    scope->revision_ = store.revision();
    scope->store_ = &store;
  }
  return *scope->revision_;
}

}  // namespace smime::store
