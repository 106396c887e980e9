#include "smime/common/heap.hpp"

#include <malloc.h>

#include <cstddef>

// jemalloc's control interface, resolved only when jemalloc is in the process: a weak
// reference stays null under glibc's allocator, so the libraries and tests that do not link
// jemalloc need no header or library of it.
extern "C" int mallctl(const char* name, void* old_value, std::size_t* old_length, void* new_value,
                       std::size_t new_length) __attribute__((weak));

namespace smime {

namespace {
// MALLCTL_ARENAS_ALL in <jemalloc/jemalloc.h> (jemalloc 5): the index that names every arena.
constexpr const char* kPurgeAllArenas = "arena.4096.purge";
}  // namespace

bool heap_is_jemalloc() noexcept {
  return mallctl != nullptr;
}

void return_free_memory() noexcept {
  if (mallctl != nullptr) {
    (void)mallctl(kPurgeAllArenas, nullptr, nullptr, nullptr, 0);
    return;
  }
  (void)malloc_trim(0);
}

}  // namespace smime
