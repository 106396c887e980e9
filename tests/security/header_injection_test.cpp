// Response header injection through a group name (issue 11 item 7): a name is short printable
// text, so CR, LF, NUL and other control characters are refused with 400 and nothing is
// stored; an outgoing answer's X-Smime-Decided-By can then only carry a valid name.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "security_server_test.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

using HeaderInjectionTest = SecurityServerTest;

TEST_F(HeaderInjectionTest, GroupNamesWithControlCharactersAreRefused) {
  const std::string body = json{{"email", "support@example.org"}}.dump();
  const std::vector<std::string> names = {
      "x%0D%0ASet-Cookie:%20pwn=1", "x%0Ay", "x%00y", "x%1By", "x%7Fy", "x%C2%85y", "%FF%FE",
      std::string(101, 'g')};
  for (const std::string& name : names) {
    HttpResult r =
        client().request("PUT", "/api/v1/groups/" + name, body, auth("application/json"));
    EXPECT_EQ(r.status, 400) << name << ": " << r.body;
  }
  HttpResult listed = client().request("GET", "/api/v1/groups", "", auth());
  EXPECT_EQ(json::parse(listed.body)["groups"].size(), 0u) << listed.body;
}

TEST_F(HeaderInjectionTest, TheDecidingGroupNameIsTheOnlyThingInItsHeader) {
  generate_org_key("support@example.org");
  ASSERT_EQ(client()
                .request("PUT", "/api/v1/groups/Support%20Team",
                         json{{"email", "support@example.org"}, {"default", "sign"}}.dump(),
                         auth("application/json"))
                .status,
            201);
  HttpResult r = client().request(
      "POST", "/api/v1/messages/outgoing",
      "From: support@example.org\r\nTo: c@example.com\r\nSubject: s\r\n\r\nhello\r\n",
      auth("message/rfc822"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["x-smime-decided-by"], "group Support Team");
  EXPECT_EQ(r.headers.count("set-cookie"), 0u);
}

}  // namespace
}  // namespace smime::test
