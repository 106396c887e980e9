// Without libFuzzer (g++ builds), each fuzz target runs over its committed seed corpus and
// every truncation of every seed, so the corpus is a regression test in ctest.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  std::size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::vector<std::uint8_t> seed{std::istreambuf_iterator<char>(in), {}};
      for (std::size_t cut = 0; cut <= seed.size(); cut += 1 + seed.size() / 64) {
        LLVMFuzzerTestOneInput(seed.data(), cut);
        ++runs;
      }
      LLVMFuzzerTestOneInput(seed.data(), seed.size());
      ++runs;
    }
  }
  std::printf("%zu inputs replayed\n", runs);
  return runs > 0 ? 0 : 1;
}
