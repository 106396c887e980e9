// The text forms of a group's default behaviour and revocation policy, as stored in the groups
// table and shown in the API and UI.
#include <array>
#include <utility>

#include "smime/common/error.hpp"
#include "smime/store/store.hpp"

namespace smime::store {

namespace {

constexpr std::array<std::pair<DefaultBehaviour, std::string_view>, 4> kNames{{
    {DefaultBehaviour::sign_encrypt, "sign-encrypt"},
    {DefaultBehaviour::sign, "sign"},
    {DefaultBehaviour::encrypt, "encrypt"},
    {DefaultBehaviour::none, "none"},
}};

}  // namespace

std::string_view to_string(DefaultBehaviour behaviour) {
  for (const auto& [value, name] : kNames) {
    if (value == behaviour) {
      return name;
    }
  }
  // Never fall back to "none": that would silently turn signing and encryption off.
  throw Error(ErrorCode::internal, "Unknown default behaviour value");
}

std::optional<DefaultBehaviour> parse_default_behaviour(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

std::string_view revocation_policy_name(bool hard) {
  return hard ? "hard" : "soft";
}

std::optional<bool> parse_revocation_policy(std::string_view text) {
  if (text == "hard") return true;
  if (text == "soft") return false;
  return std::nullopt;
}

}  // namespace smime::store
