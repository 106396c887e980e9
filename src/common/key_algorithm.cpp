// Names of key algorithms and key types as they appear on the command line and in output.
#include <array>
#include <utility>

#include "smime/token/key_store.hpp"

namespace smime {
namespace {

constexpr std::array<std::pair<std::string_view, KeyAlgorithm>, 5> kAlgorithms{{
    {"rsa-2048", KeyAlgorithm::rsa_2048},
    {"rsa-3072", KeyAlgorithm::rsa_3072},
    {"rsa-4096", KeyAlgorithm::rsa_4096},
    {"ec-p256", KeyAlgorithm::ec_p256},
    {"ec-p384", KeyAlgorithm::ec_p384},
}};

}  // namespace

std::optional<KeyAlgorithm> parse_key_algorithm(std::string_view text) {
  // Exact, case-sensitive names: the same spelling is echoed back in output and the API.
  for (const auto& [name, algorithm] : kAlgorithms) {
    if (name == text) {
      return algorithm;
    }
  }
  return std::nullopt;
}

std::string_view to_string(KeyAlgorithm algorithm) {
  for (const auto& [name, candidate] : kAlgorithms) {
    if (candidate == algorithm) {
      return name;
    }
  }
  return "unknown";
}

std::string_view to_string(KeyType type) {
  switch (type) {
    case KeyType::rsa:
      return "rsa";
    case KeyType::ec:
      return "ec";
  }
  return "unknown";
}

}  // namespace smime
