#include "smime/common/secure_buffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

namespace smime::test {

// A program-defined byte type. WipingAllocator<ProbeByte> releases memory through
// std::allocator<ProbeByte>, specialised below to look at the bytes at that moment: if
// OPENSSL_cleanse ran first, they are all zero.
struct ProbeByte {
  unsigned char value;
};

struct ReleaseLog {
  std::size_t releases = 0;
  std::size_t dirty_releases = 0;  // releases that still held a non-zero byte
  std::size_t bytes = 0;
};

inline ReleaseLog& release_log() {
  static ReleaseLog log;
  return log;
}

}  // namespace smime::test

// Specialising a standard template for a program-defined type is permitted ([namespace.std]).
template <>
class std::allocator<smime::test::ProbeByte> {
 public:
  using value_type = smime::test::ProbeByte;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using propagate_on_container_move_assignment = std::true_type;
  using is_always_equal = std::true_type;

  allocator() noexcept = default;
  template <class U>
  allocator(const allocator<U>& /*unused*/) noexcept {}  // NOLINT(google-explicit-constructor)

  value_type* allocate(std::size_t n) {
    return static_cast<value_type*>(::operator new(n * sizeof(value_type)));
  }
  void deallocate(value_type* p, std::size_t n) noexcept {
    auto& log = smime::test::release_log();
    ++log.releases;
    log.bytes += n * sizeof(value_type);
    const bool clean = std::all_of(p, p + n, [](const value_type& b) { return b.value == 0; });
    if (!clean) {
      ++log.dirty_releases;
    }
    ::operator delete(p);
  }
  bool operator==(const allocator& /*unused*/) const noexcept { return true; }
};

namespace smime::test {
namespace {

TEST(WipingAllocator, WipesMemoryBeforeReleasingIt) {
  release_log() = {};
  WipingAllocator<ProbeByte> allocator;
  ProbeByte* p = allocator.allocate(64);
  for (std::size_t i = 0; i < 64; ++i) {
    p[i].value = static_cast<unsigned char>(0xa5 ^ i);
  }
  allocator.deallocate(p, 64);
  EXPECT_EQ(release_log().releases, 1u);
  EXPECT_EQ(release_log().bytes, 64u);
  EXPECT_EQ(release_log().dirty_releases, 0u);
}

TEST(WipingAllocator, VectorGrowthWipesEveryOldBuffer) {
  release_log() = {};
  {
    std::vector<ProbeByte, WipingAllocator<ProbeByte>> secret;
    for (int i = 0; i < 1000; ++i) {
      // Growth is the point here, so no reserve().
      // NOLINTNEXTLINE(performance-inefficient-vector-operation)
      secret.push_back({static_cast<unsigned char>(i | 1)});
    }
  }
  // Several reallocations plus the final buffer, none released with its contents intact.
  EXPECT_GT(release_log().releases, 2u);
  EXPECT_EQ(release_log().dirty_releases, 0u);
}

TEST(WipingAllocator, InstancesAreInterchangeable) {
  static_assert(std::is_same_v<SecureBytes::allocator_type, WipingAllocator<unsigned char>>);
  const WipingAllocator<char> a;
  const WipingAllocator<unsigned char> b(a);  // rebinding, as containers do
  EXPECT_TRUE(a == b);
  EXPECT_TRUE(WipingAllocator<int>{} == WipingAllocator<int>{});
}

TEST(SecureBytes, BehavesAsAVector) {
  SecureBytes bytes = {1, 2, 3};
  bytes.push_back(4);
  EXPECT_EQ(bytes.size(), 4u);
  EXPECT_EQ(bytes[3], 4);
}

TEST(SecretString, ExposesItsText) {
  const SecretString secret("s3cret");
  EXPECT_EQ(secret.view(), "s3cret");
  EXPECT_EQ(secret.size(), 6u);
  EXPECT_EQ(std::string_view(secret.data(), secret.size()), "s3cret");
  EXPECT_FALSE(secret.empty());
  EXPECT_TRUE(SecretString().empty());
  EXPECT_EQ(SecretString().view(), "");
}

TEST(SecretString, KeepsEmbeddedNulAndNonAscii) {
  const std::string_view text("a\0b\xc3\xa9", 5);
  const SecretString secret(text);
  EXPECT_EQ(secret.size(), 5u);
  EXPECT_EQ(secret.view(), text);
}

TEST(SecretString, PushBackAppends) {
  SecretString secret;
  for (char c : std::string_view("1234")) {
    secret.push_back(c);
  }
  EXPECT_EQ(secret.view(), "1234");
}

TEST(SecretString, TrimLineEndDropsTrailingNewlines) {
  SecretString lf("1234\n");
  lf.trim_line_end();
  EXPECT_EQ(lf.view(), "1234");

  SecretString crlf("1234\r\n");
  crlf.trim_line_end();
  EXPECT_EQ(crlf.view(), "1234");

  SecretString several("pin\n\r\n\n");
  several.trim_line_end();
  EXPECT_EQ(several.view(), "pin");
}

TEST(SecretString, TrimLineEndKeepsEverythingElse) {
  SecretString plain("1234");
  plain.trim_line_end();
  EXPECT_EQ(plain.view(), "1234");

  // Only line ends go: spaces and tabs may be part of a passphrase.
  SecretString spaces("pass phrase \t");
  spaces.trim_line_end();
  EXPECT_EQ(spaces.view(), "pass phrase \t");

  SecretString inner("a\nb\n");
  inner.trim_line_end();
  EXPECT_EQ(inner.view(), "a\nb");

  SecretString only("\r\n");
  only.trim_line_end();
  EXPECT_TRUE(only.empty());

  SecretString empty;
  empty.trim_line_end();
  EXPECT_TRUE(empty.empty());
}

TEST(SecretString, MovesWithoutCopying) {
  static_assert(!std::is_copy_constructible_v<SecretString>);
  static_assert(!std::is_copy_assignable_v<SecretString>);
  static_assert(std::is_nothrow_move_constructible_v<SecretString>);

  SecretString source("moving pin");
  const char* storage = source.data();
  SecretString moved(std::move(source));
  EXPECT_EQ(moved.view(), "moving pin");
  EXPECT_EQ(moved.data(), storage);  // the buffer changed hands; no second copy exists
  EXPECT_TRUE(source.empty());       // NOLINT(bugprone-use-after-move): checking the moved-from

  SecretString target("old");
  target = std::move(moved);
  EXPECT_EQ(target.view(), "moving pin");
  EXPECT_EQ(target.data(), storage);
}

}  // namespace
}  // namespace smime::test
