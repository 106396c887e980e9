// Two smimed nodes on one PostgreSQL database and one token: what one node changes, the other
// uses on its next request (a certificate made on node A signs on node B; an API token
// revoked on A is refused by B), and both append to one intact audit chain.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "https_client.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/store/postgres_store.hpp"
#include "support/postgres_server.hpp"
#include "support/smimed_process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

std::string message_from(const std::string& from) {
  return "From: " + from + "\r\nTo: bob@example.net\r\nSubject: nodes\r\nMessage-ID: <n@x>\r\n" +
         "Content-Type: text/plain\r\n\r\nOne database, two nodes.\r\n";
}

HttpResult call(SmimedProcess& node, const std::string& secret, const std::string& method,
                const std::string& target, const std::string& body = {},
                const std::string& type = "application/json") {
  HttpsClient client(node.port());
  return client.request(method, target, body,
                        {{"Authorization", "Bearer " + secret}, {"Content-Type", type}});
}

class NodesTest : public SoftHsmTest {
 protected:
  std::string url_ = fresh_database_url();
};

TEST_F(NodesTest, WhatOneNodeChangesTheOtherUsesAtOnce) {
  SmimedProcess a(scratch_.path() / "a", home(), "worker_threads = 2\n", url_);
  SmimedProcess b(scratch_.path() / "b", home(), "worker_threads = 2\n", url_);
  a.start();
  b.start();

  // An org key made through node A: its certificate is in the shared store.
  const nlohmann::json key = {{"algorithm", "ec-p256"},
                              {"label", "nodes"},
                              {"emails", {"nodes@example.org"}},
                              {"self_signed", true}};
  HttpResult made = call(a, a.admin_secret(), "POST", "/api/v1/keys", key.dump());
  ASSERT_EQ(made.status, 201) << made.body;
  HttpResult signed_on_b =
      call(b, b.admin_secret(), "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false",
           message_from("nodes@example.org"), "message/rfc822");
  EXPECT_EQ(signed_on_b.status, 200) << signed_on_b.body;

  // An API token made on A works on B until A revokes it.
  HttpResult created = call(a, a.admin_secret(), "POST", "/api/v1/api-tokens",
                            nlohmann::json{{"name", "helpdesk"}, {"role", "operator"}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const auto token = nlohmann::json::parse(created.body);
  const std::string secret = token["secret"];
  EXPECT_EQ(call(b, secret, "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false",
                 message_from("nodes@example.org"), "message/rfc822")
                .status,
            200);
  const std::string id = std::to_string(token["id"].get<std::int64_t>());
  ASSERT_EQ(call(a, a.admin_secret(), "DELETE", "/api/v1/api-tokens/" + id).status, 204);
  EXPECT_EQ(call(b, secret, "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false",
                 message_from("nodes@example.org"), "message/rfc822")
                .status,
            401)
      << "revoked on A, refused by B";

  // Both nodes' entries are in one chain.
  audit::AuditLog log(store::open_postgres_database(url_, 1));
  const audit::VerifyReport report = log.verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_GE(report.entries, 5) << "key, two signatures, token created and revoked";
}

}  // namespace
}  // namespace smime::test
