// smimed's API route table over the application's use cases (SPEC §8, §13). Every route of the
// table is in the OpenAPI document (src/server/openapi.json), and a test checks that.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "smime/app/use_cases.hpp"
#include "smime/server/router.hpp"

namespace smime::server {

struct ApiContext {
  app::UseCases& use_cases;
  // GET /metrics: the Prometheus text of the server's counters.
  std::function<std::string()> metrics;
  // POST /api/v1/messages/incoming takes bodies up to this (0: the router's bound).
  std::size_t incoming_body_limit = 0;
};

// The whole API route table; `context` must outlive it.
std::vector<Route> make_api_routes(const ApiContext& context);

// The OpenAPI document served at /api/v1/openapi.json (embedded at build time).
const std::string& openapi_document();

}  // namespace smime::server
