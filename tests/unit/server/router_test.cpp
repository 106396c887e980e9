// The router as a pure function: everything it answers itself (404, 405 + Allow, 401, 403,
// 413, 415, 400 malformed JSON) and the error body shape, on a small synthetic table.
#include "smime/server/router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace smime::server {
namespace {

using nlohmann::json;

Request make(std::string method, std::string target, std::optional<store::ApiRole> role,
             std::string body = {}, std::string content_type = {}) {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  if (!content_type.empty()) r.headers.add("Content-Type", content_type);
  if (role) {
    r.principal = Principal{"7", "test", *role};
    r.credentials_given = true;
  }
  return r;
}

void expect_error(const Response& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  const json body = json::parse(r.body);
  ASSERT_TRUE(body.contains("error")) << r.body;
  EXPECT_EQ(body["error"]["code"], code) << r.body;
  EXPECT_TRUE(body["error"]["message"].is_string());
  EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : router_(
            {
                {"GET",
                 "/open",
                 Access::public_,
                 {},
                 "open",
                 [](const Call&) {
                   return json_response(200, {{"ok", true}});
                 }},
                {"GET",
                 "/things",
                 Access::read_certificates,
                 {},
                 "listThings",
                 [](const Call& c) {
                   return json_response(200, {{"q", c.query("q", "none")}});
                 },
                 {"q"}},
                {"POST",
                 "/things",
                 Access::admin,
                 {"application/json"},
                 "createThing",
                 [](const Call& c) { return json_response(201, c.json); }},
                {"GET",
                 "/things/{id}",
                 Access::read_certificates,
                 {},
                 "getThing",
                 [](const Call& c) {
                   return json_response(200, {{"id", c.param("id")}});
                 }},
                {"GET",
                 "/things/special",
                 Access::read_certificates,
                 {},
                 "special",
                 [](const Call&) {
                   return json_response(200, {{"special", true}});
                 }},
                {"DELETE",
                 "/things/{id}",
                 Access::admin,
                 {},
                 "deleteThing",
                 [](const Call& c) -> Response {
                   if (c.param("id") == "missing") throw Error(ErrorCode::not_found, "gone");
                   if (c.param("id") == "locked") throw Error(ErrorCode::token_failure, "down");
                   if (c.param("id") == "boom") throw std::runtime_error("secret detail");
                   return no_content();
                 }},
                {"POST",
                 "/upload",
                 Access::messages,
                 {"message/rfc822"},
                 "upload",
                 [](const Call& c) {
                   return json_response(200, {{"size", c.request.body.size()}});
                 }},
                {"GET",
                 "/logs",
                 Access::logs,
                 {},
                 "logs",
                 [](const Call&) { return json_response(200, json::array()); }},
            },
            /*body_limit=*/{64, "body_limit"}) {}

  Router router_;
};

TEST_F(RouterTest, UnknownPathIs404WithErrorBody) {
  expect_error(router_.handle(make("GET", "/nothing/here", store::ApiRole::admin)), 404,
               "not_found");
  expect_error(router_.handle(make("GET", "/things/1/extra", store::ApiRole::admin)), 404,
               "not_found");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Response r = router_.handle(make("PUT", "/things", store::ApiRole::admin));
  expect_error(r, 405, "method_not_allowed");
  ASSERT_TRUE(r.headers.get("Allow"));
  EXPECT_EQ(*r.headers.get("Allow"), "GET, HEAD, POST");
  r = router_.handle(make("POST", "/things/3", store::ApiRole::admin));
  expect_error(r, 405, "method_not_allowed");
  EXPECT_EQ(*r.headers.get("Allow"), "GET, HEAD, DELETE");
}

TEST_F(RouterTest, MissingOrInvalidTokenIs401) {
  Response r = router_.handle(make("GET", "/things", std::nullopt));
  expect_error(r, 401, "unauthorized");
  EXPECT_TRUE(r.headers.get("WWW-Authenticate"));
  Request bad = make("GET", "/things", std::nullopt);
  bad.credentials_given = true;
  r = router_.handle(bad);
  expect_error(r, 401, "unauthorized");
  EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find("invalid"),
            std::string::npos);
}

TEST_F(RouterTest, PublicRouteNeedsNoToken) {
  EXPECT_EQ(router_.handle(make("GET", "/open", std::nullopt)).status, 200);
}

TEST_F(RouterTest, RolesAreEnforced) {
  using store::ApiRole;
  expect_error(
      router_.handle(make("POST", "/things", ApiRole::operator_, "{}", "application/json")), 403,
      "insufficient_role");
  expect_error(router_.handle(make("POST", "/upload", ApiRole::auditor, "x", "message/rfc822")),
               403, "insufficient_role");
  expect_error(router_.handle(make("GET", "/logs", ApiRole::operator_)), 403, "insufficient_role");
  EXPECT_EQ(router_.handle(make("GET", "/logs", ApiRole::auditor)).status, 200);
  EXPECT_EQ(
      router_.handle(make("POST", "/upload", ApiRole::operator_, "x", "message/rfc822")).status,
      200);
  EXPECT_EQ(router_.handle(make("GET", "/things", ApiRole::auditor)).status, 200);
}

TEST_F(RouterTest, UndeclaredQueryParametersAre400AndReadingOneIsABug) {
  expect_error(router_.handle(make("GET", "/things?r=1", store::ApiRole::admin)), 400,
               "unknown_parameter");
  expect_error(router_.handle(make("GET", "/open?q=1", store::ApiRole::admin)), 400,
               "unknown_parameter");
  Router sloppy({{"GET", "/x", Access::public_, {}, "x", [](const Call& c) {
                    return json_response(200, {{"q", c.query("q")}});
                  }}});
  EXPECT_EQ(sloppy.handle(make("GET", "/x", store::ApiRole::admin)).status, 500);
}

TEST_F(RouterTest, AdmissionDecidesOnTheHeadAlone) {
  Request head = make("POST", "/things", store::ApiRole::auditor);
  head.body_announced = true;
  head.headers.add("Content-Type", "application/json");
  Admission refused = router_.admit(head);
  ASSERT_TRUE(refused.refusal);
  EXPECT_EQ(refused.refusal->status, 403);
  head.principal->role = store::ApiRole::admin;
  Admission admitted = router_.admit(head);
  EXPECT_FALSE(admitted.refusal);
  ASSERT_NE(admitted.route, nullptr);
  EXPECT_EQ(admitted.route->operation, "createThing");
  Request wrong_type = make("POST", "/things", store::ApiRole::admin);
  wrong_type.body_announced = true;
  wrong_type.headers.add("Content-Type", "text/plain");
  ASSERT_TRUE(router_.admit(wrong_type).refusal);
  EXPECT_EQ(router_.admit(wrong_type).refusal->status, 415);
  // HEAD is admitted where GET is.
  EXPECT_FALSE(router_.admit(make("HEAD", "/things", store::ApiRole::auditor)).refusal);
}

TEST_F(RouterTest, WrongContentTypeIs415) {
  expect_error(router_.handle(make("POST", "/things", store::ApiRole::admin, "{}", "text/plain")),
               415, "unsupported_media_type");
  expect_error(router_.handle(make("POST", "/things", store::ApiRole::admin, "{}")), 415,
               "unsupported_media_type");
  // Parameters and case do not matter.
  EXPECT_EQ(router_
                .handle(make("POST", "/things", store::ApiRole::admin, "{\"a\":1}",
                             "Application/JSON; charset=utf-8"))
                .status,
            201);
}

TEST_F(RouterTest, MalformedJsonIs400) {
  expect_error(
      router_.handle(make("POST", "/things", store::ApiRole::admin, "{\"a\":", "application/json")),
      400, "malformed_json");
}

TEST_F(RouterTest, BodyOverTheLimitIs413) {
  expect_error(router_.handle(make("POST", "/upload", store::ApiRole::admin, std::string(65, 'x'),
                                   "message/rfc822")),
               413, "payload_too_large");
}

TEST_F(RouterTest, HandlerErrorsMapToTheirStatus) {
  expect_error(router_.handle(make("DELETE", "/things/missing", store::ApiRole::admin)), 404,
               "not_found");
  expect_error(router_.handle(make("DELETE", "/things/locked", store::ApiRole::admin)), 503,
               "token_failure");
  Response r = router_.handle(make("DELETE", "/things/boom", store::ApiRole::admin));
  expect_error(r, 500, "internal");
  EXPECT_EQ(r.body.find("secret detail"), std::string::npos) << "internal details stay in the log";
  EXPECT_EQ(router_.handle(make("DELETE", "/things/5", store::ApiRole::admin)).status, 204);
}

TEST_F(RouterTest, PathParametersQueryAndLiteralPreference) {
  Response r = router_.handle(make("GET", "/things/a%20b", store::ApiRole::admin));
  EXPECT_EQ(json::parse(r.body)["id"], "a b");
  r = router_.handle(make("GET", "/things/special", store::ApiRole::admin));
  EXPECT_EQ(json::parse(r.body)["special"], true);
  r = router_.handle(make("GET", "/things?q=x%40y+z&q=second", store::ApiRole::admin));
  EXPECT_EQ(json::parse(r.body)["q"], "x@y z");
  expect_error(router_.handle(make("GET", "/things?q=%zz", store::ApiRole::admin)), 400,
               "bad_request");
}

TEST_F(RouterTest, ObserverSeesEveryRequest) {
  std::vector<std::pair<std::string, int>> seen;
  Router observed({{"GET",
                    "/x",
                    Access::public_,
                    {},
                    "getX",
                    [](const Call&) { return json_response(200, {}); }}},
                  BodyLimit{},
                  [&](const RequestRecord& r) { seen.emplace_back(r.operation, r.status); });
  observed.handle(make("GET", "/x", std::nullopt));
  observed.handle(make("GET", "/y", std::nullopt));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<std::string, int>{"getX", 200}));
  EXPECT_EQ(seen[1], (std::pair<std::string, int>{"", 404}));
}

TEST(HttpHelpers, BearerTokenAndMediaType) {
  Headers h;
  h.add("authorization", "Bearer   smk_abc ");
  ASSERT_TRUE(bearer_token(h));
  EXPECT_EQ(*bearer_token(h), "smk_abc");
  Headers basic;
  basic.add("Authorization", "Basic Zm9vOmJhcg==");
  EXPECT_FALSE(bearer_token(basic));
  EXPECT_EQ(media_type(" Text/Plain ; charset=UTF-8"), "text/plain");
}

TEST(HttpHelpers, AccessRules) {
  using store::ApiRole;
  for (Access a : {Access::public_, Access::any_role, Access::read_certificates, Access::messages,
                   Access::logs, Access::admin}) {
    EXPECT_TRUE(allows(a, ApiRole::admin));
  }
  EXPECT_TRUE(allows(Access::messages, ApiRole::operator_));
  EXPECT_FALSE(allows(Access::messages, ApiRole::auditor));
  EXPECT_TRUE(allows(Access::logs, ApiRole::auditor));
  EXPECT_FALSE(allows(Access::logs, ApiRole::operator_));
  EXPECT_FALSE(allows(Access::admin, ApiRole::operator_));
  EXPECT_FALSE(allows(Access::admin, ApiRole::auditor));
}

// A handler may take the body over when the router was given the request to change (a large
// message is then not held twice); from a const request it gets a copy.
TEST(RouterBodyTest, TakeBodyMovesOnlyFromARequestGivenToChange) {
  std::string taken;
  Router router({{"POST",
                  "/messages",
                  Access::messages,
                  {"message/rfc822"},
                  "takeMessage",
                  [&taken](const Call& c) {
                    taken = c.take_body();
                    return json_response(200, {{"ok", true}});
                  }}});
  const std::string body = "From: a@example.org\r\n\r\nhello\r\n";
  Request request = make("POST", "/messages", store::ApiRole::operator_, body, "message/rfc822");
  EXPECT_EQ(router.handle(request).status, 200);
  EXPECT_EQ(taken, body);
  EXPECT_TRUE(request.body.empty()) << "moved out, not copied";

  const Request unchanged =
      make("POST", "/messages", store::ApiRole::operator_, body, "message/rfc822");
  taken.clear();
  EXPECT_EQ(router.handle(unchanged).status, 200);
  EXPECT_EQ(taken, body);
  EXPECT_EQ(unchanged.body, body);
}

}  // namespace
}  // namespace smime::server
