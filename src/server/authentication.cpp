#include "smime/server/appliance.hpp"

namespace smime::server {

void authenticate(Request& request, app::AccessUseCases& access) {
  request.principal.reset();
  request.store_revision.reset();
  request.credentials_given = request.headers.get("Authorization").has_value();
  const auto bearer = bearer_token(request.headers);
  if (!bearer) return;
  if (auto token = access.authenticate(*bearer)) {
    request.principal = Principal{std::to_string(token->id), token->name, token->role};
    request.store_revision = token->store_revision;
  }
}

}  // namespace smime::server
