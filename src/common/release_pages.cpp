#include "smime/common/release_pages.hpp"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace smime {

void release_pages(char* data, std::size_t length) noexcept {
  static const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  if (data == nullptr || page == 0) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + page - 1) / page * page;
  const std::uintptr_t last = (begin + length) / page * page;
  if (last <= first) return;
  // Advice only: when the kernel refuses, the pages simply stay resident.
  (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

void discard(std::string& text) noexcept {
  static const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  char* data = text.data();
  const std::size_t size = text.size();
  release_pages(data, size);
  const auto offset = reinterpret_cast<std::uintptr_t>(data) % page;
  const std::size_t head = std::min(size, offset == 0 ? 0 : page - offset);
  const std::size_t tail =
      std::min(size - head, (reinterpret_cast<std::uintptr_t>(data) + size) % page);
  OPENSSL_cleanse(data, head);
  OPENSSL_cleanse(data + size - tail, tail);
  std::string().swap(text);
}

}  // namespace smime
