#include <spdlog/spdlog.h>

#include "smime/server/appliance.hpp"

namespace smime::server {

void authenticate(Request& request, store::ApiTokenStore& tokens) {
  request.principal.reset();
  request.credentials_given = request.headers.get("Authorization").has_value();
  const auto bearer = bearer_token(request.headers);
  if (!bearer) return;
  try {
    if (auto token = tokens.authenticate(*bearer)) {
      request.principal = Principal{std::to_string(token->id), token->name, token->role};
    }
  } catch (const std::exception& e) {
    spdlog::error("API token check failed: {}", e.what());
  }
}

}  // namespace smime::server
