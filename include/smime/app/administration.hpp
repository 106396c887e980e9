// Groups (a sender address and its default behaviour), CRLs and API tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smime/app/caller.hpp"
#include "smime/app/dependencies.hpp"

namespace smime::app {

struct GroupChange {
  std::string name;   // 1 to 100 characters, no control characters
  std::string email;  // one address
  store::DefaultBehaviour behaviour = store::DefaultBehaviour::sign_encrypt;
  // The group's verification policy: outer unset leaves it as it is (a new group: the
  // appliance's); inner unset: the appliance's setting again.
  std::optional<std::optional<bool>> revocation_hard = std::nullopt;
  std::optional<std::optional<bool>> reject_sha1 = std::nullopt;
};

struct GroupSet {
  store::GroupRecord group;  // as stored
  bool created = false;      // false: an existing group was changed
};

class GroupUseCases {
 public:
  explicit GroupUseCases(const Dependencies& deps) : deps_(deps) {}
  std::vector<store::GroupRecord> list();
  store::GroupRecord show(std::string_view name);  // Error(not_found)
  GroupSet set(const Caller& caller, const GroupChange& change);
  void remove(const Caller& caller, std::string_view name);  // Error(not_found)

 private:
  const Dependencies& deps_;
};

class CrlUseCases {
 public:
  explicit CrlUseCases(const Dependencies& deps) : deps_(deps) {}
  std::vector<store::CrlRecord> list();
  // A CRL (PEM or DER) signed by a stored CA certificate; source names it in the audit entry.
  store::CrlRecord import_crl(const Caller& caller, std::span<const unsigned char> input,
                              std::string_view source = {});

 private:
  const Dependencies& deps_;
};

class ApiTokenUseCases {
 public:
  explicit ApiTokenUseCases(const Dependencies& deps) : deps_(deps) {}
  std::vector<store::ApiToken> list();
  // The secret is in the result and nowhere else.
  store::CreatedApiToken create(const Caller& caller, std::string_view name, store::ApiRole role);
  void revoke(const Caller& caller, std::int64_t id);  // Error(not_found)

 private:
  const Dependencies& deps_;
};

}  // namespace smime::app
