// Memory of a large buffer that is read front to back and not read again (a message being
// encrypted as a stream) handed back to the kernel while the output grows, so that the input and
// the output of a stage are not both resident at their full size.
#pragma once

#include <cstddef>
#include <string>

namespace smime {

// The whole pages inside [data, data + length) are given back (madvise MADV_DONTNEED); they read
// as zeros afterwards, and the buffer stays allocated (it is freed as usual). The partial pages at
// either end are kept, so the allocator's own bookkeeping next to the buffer is never touched.
void release_pages(char* data, std::size_t length) noexcept;

// Frees a buffer that may hold message content: its whole pages released (their content is
// gone with them, and released pages are not touched again), the partial pages at its ends
// cleansed, then the memory freed. `text` is empty afterwards.
void discard(std::string& text) noexcept;

}  // namespace smime
