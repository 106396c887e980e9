// State an Engine keeps between requests: parsed certificates of the store and provider
// handles of token keys, so the hot path does no re-parsing and no key lookups.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "group_policy.hpp"
#include "revocation/online_revocation.hpp"
#include "smime/engine/engine.hpp"
#include "trust_cache.hpp"

namespace smime::engine {

class EngineState {
 public:
  explicit EngineState(store::Store& store) : trust(store), groups(store) {}
  TrustCache trust;
  GroupCache groups;
  std::mutex keys_mutex;
  std::map<std::string, EvpPkeyPtr, std::less<>> private_keys;  // by CKA_ID hex
  std::unique_ptr<revocation::OnlineRevocation> online;         // null: offline revocation

  // The provider handle of a token key (EVP_PKEY is reference counted and thread-safe).
  EvpPkeyPtr private_key(KeyStore& keys, const std::string& key_id);
};

}  // namespace smime::engine
