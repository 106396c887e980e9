// The process heap's free memory handed back to the system at once, after a large request or
// answer has been freed: glibc keeps freed pages in its arenas until malloc_trim, jemalloc
// (smimed's allocator) until its decay time has passed.
#pragma once

namespace smime {

// jemalloc when it is the process's allocator (linked into smimed, or preloaded): every arena's
// unused dirty pages purged; glibc otherwise: malloc_trim(0).
void return_free_memory() noexcept;

// Whether the process's allocator is jemalloc (smimed logs it when it starts).
bool heap_is_jemalloc() noexcept;

}  // namespace smime
