// Buffers for secrets (PINs, passphrases, private key material) that are wiped when released.
// std::vector is used rather than std::string because a short string's inline storage
// bypasses the allocator and would never be wiped.
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <string_view>
#include <vector>

namespace smime {

template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>& /*unused*/) noexcept {
  }  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>& /*unused*/) const noexcept {
    return true;
  }
};

using SecureBytes = std::vector<unsigned char, WipingAllocator<unsigned char>>;

// A secret text (PIN or passphrase). Not null-terminated; use view() or data()/size().
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string_view text) : bytes_(text.begin(), text.end()) {}
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  SecretString(SecretString&&) noexcept = default;
  SecretString& operator=(SecretString&&) noexcept = default;
  ~SecretString() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

  std::string_view view() const noexcept { return {bytes_.data(), bytes_.size()}; }
  const char* data() const noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  void push_back(char c) { bytes_.push_back(c); }
  // Drops trailing CR/LF (a PIN file normally ends with a newline), wiping them.
  void trim_line_end() noexcept {
    while (!bytes_.empty() && (bytes_.back() == '\n' || bytes_.back() == '\r')) {
      bytes_.back() = 0;
      bytes_.pop_back();
    }
  }

 private:
  std::vector<char, WipingAllocator<char>> bytes_;
};

}  // namespace smime
