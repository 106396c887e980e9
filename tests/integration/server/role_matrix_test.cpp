// Each role x each route against the real smimed (TLS on loopback, SoftHSM token, every
// route of the table and the audit log): routes a role may call answer it (2xx for every
// read and message route with valid input), the others answer 403 insufficient_role, and
// no token or a wrong one is 401. Also /metrics after real traffic, and the admin UI's
// security headers and path confinement over the wire.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "support/test_certs.hpp"

namespace smime::test {
namespace {

using nlohmann::json;
using store::ApiRole;

class RoleMatrixTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    for (ApiRole role : {ApiRole::operator_, ApiRole::auditor}) {
      secrets_[role] = std::string(
          appliance_->api_tokens().create(std::string(store::to_string(role)), role).secret.view());
    }
    secrets_[ApiRole::admin] = admin_secret_;
    fingerprint_ = generate_org_key();
  }

  std::map<std::string, std::string> as(ApiRole role, const std::string& content_type = {}) {
    std::map<std::string, std::string> h = {{"Authorization", "Bearer " + secrets_[role]}};
    if (!content_type.empty()) h["Content-Type"] = content_type;
    return h;
  }

  std::map<ApiRole, std::string> secrets_;
  std::string fingerprint_;
};

struct Probe {
  std::string target;
  std::string body;
  std::string content_type;
  bool must_succeed = false;  // a 2xx for every allowed role (reads and message operations)
};

const char* kMessage =
    "From: support@example.org\r\nTo: support@example.org\r\nSubject: matrix\r\n"
    "Message-ID: <matrix@example.org>\r\nContent-Type: text/plain\r\n\r\nhello\r\n";

TEST_F(RoleMatrixTest, EveryRoleOnEveryRouteOfTheLiveServer) {
  const std::string fp = fingerprint_;
  // Valid input for the reads and message operations; for changes an admin may make, a
  // request that gets past authorisation (404/400/409/422 are fine: no role error).
  const std::map<std::string, Probe> probes = {
      {"health", {"/healthz", "", "", true}},
      {"openapi", {"/api/v1/openapi.json", "", "", true}},
      {"listCertificates", {"/api/v1/certificates?email=support%40example.org", "", "", true}},
      {"getCertificate", {"/api/v1/certificates/" + fp, "", "", true}},
      {"downloadCertificate", {"/api/v1/certificates/" + fp + "/download", "", "", true}},
      {"processOutgoing",
       {"/api/v1/messages/outgoing?sign=true", kMessage, "message/rfc822", true}},
      {"processIncoming", {"/api/v1/messages/incoming", kMessage, "message/rfc822", true}},
      {"preflight",
       {"/api/v1/messages/preflight", json{{"from", "support@example.org"}}.dump(),
        "application/json", true}},
      {"listLogs", {"/api/v1/logs?limit=5", "", "", true}},
      {"metrics", {"/metrics", "", "", true}},
      {"listKeys", {"/api/v1/keys", "", "", true}},
      {"listGroups", {"/api/v1/groups", "", "", true}},
      {"listCrls", {"/api/v1/crls", "", "", true}},
      {"getTokenStatus", {"/api/v1/token", "", "", true}},
      {"listApiTokens", {"/api/v1/api-tokens", "", "", true}},
      {"importCertificates", {"/api/v1/certificates", "garbage", "application/x-pem-file"}},
      {"deleteCertificate", {"/api/v1/certificates/00000000deadbeef", "", ""}},
      {"setCertificateTrust",
       {"/api/v1/certificates/00000000deadbeef/trust", json{{"trusted", true}}.dump(),
        "application/json"}},
      {"importPrivateKey",
       {"/api/v1/certificates/00000000deadbeef/private-key", "x", "application/x-pem-file"}},
      {"exportPrivateKey",
       {"/api/v1/certificates/" + fp + "/private-key/export", json{{"passphrase", "p"}}.dump(),
        "application/json"}},
      {"generateKey", {"/api/v1/keys", json{{"algorithm", "nope"}}.dump(), "application/json"}},
      {"deleteKey", {"/api/v1/keys/nope", "", ""}},
      {"getGroup", {"/api/v1/groups/none", "", ""}},
      {"putGroup",
       {"/api/v1/groups/g", json{{"email", "not an address"}}.dump(), "application/json"}},
      {"deleteGroup", {"/api/v1/groups/none", "", ""}},
      {"importCrl", {"/api/v1/crls", "garbage", "application/pkix-crl"}},
      {"createApiToken",
       {"/api/v1/api-tokens", json{{"name", "n"}, {"role", "nope"}}.dump(), "application/json"}},
      {"revokeApiToken", {"/api/v1/api-tokens/999999", "", ""}},
  };
  HttpsClient c = client();
  std::size_t checked = 0;
  for (const server::Route& route : appliance_->router().routes()) {
    auto it = probes.find(route.operation);
    ASSERT_NE(it, probes.end()) << "no probe for " << route.operation;
    const Probe& p = it->second;
    for (ApiRole role : {ApiRole::admin, ApiRole::operator_, ApiRole::auditor}) {
      HttpResult r = c.request(route.method, p.target, p.body, as(role, p.content_type));
      const std::string where =
          route.method + " " + p.target + " as " + std::string(store::to_string(role));
      if (!server::allows(route.access, role)) {
        EXPECT_EQ(r.status, 403) << where << ": " << r.body;
        EXPECT_NE(r.body.find("insufficient_role"), std::string::npos) << where;
      } else if (p.must_succeed) {
        EXPECT_GE(r.status, 200) << where << ": " << r.body;
        EXPECT_LT(r.status, 300) << where << ": " << r.body;
      } else {
        // Past authorisation: any answer but a role refusal (a policy 403 such as a
        // non-exportable key is fine).
        EXPECT_NE(r.status, 401) << where;
        EXPECT_EQ(r.body.find("insufficient_role"), std::string::npos) << where << ": " << r.body;
        EXPECT_LT(r.status, 500) << where << ": " << r.body;
      }
      ++checked;
    }
    if (route.access != server::Access::public_) {
      EXPECT_EQ(
          c.request(route.method, p.target, p.body, {{"Content-Type", p.content_type}}).status, 401)
          << route.method << " " << p.target;
      EXPECT_EQ(c.request(route.method, p.target, p.body,
                          {{"Authorization", "Bearer smk_" + std::string(64, '0')},
                           {"Content-Type", p.content_type}})
                    .status,
                401)
          << route.method << " " << p.target;
    }
  }
  EXPECT_EQ(checked, 3 * probes.size());
}

TEST_F(RoleMatrixTest, MetricsReflectTheTrafficInPrometheusText) {
  HttpsClient c = client();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(c.request("POST", "/api/v1/messages/outgoing?sign=true", kMessage,
                        as(ApiRole::operator_, "message/rfc822"))
                  .status,
              200);
  }
  EXPECT_EQ(c.request("GET", "/api/v1/nowhere", "", as(ApiRole::operator_)).status, 404);
  EXPECT_EQ(c.request("GET", "/metrics", "", as(ApiRole::operator_)).status, 403);

  HttpResult metrics = c.request("GET", "/metrics", "", as(ApiRole::auditor));
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = metrics.body;
  EXPECT_NE(
      text.find(
          R"(smimed_requests_total{operation="processOutgoing",method="POST",status="200"} 3)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(smimed_requests_total{operation="metrics",method="GET",status="403"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(smimed_requests_total{operation="unmatched",method="GET",status="404"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(smimed_request_duration_seconds_count{operation="processOutgoing"} 3)"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(smimed_request_duration_seconds_bucket{operation="processOutgoing",le="+Inf"} 3)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE smimed_token_errors_total counter"), std::string::npos);
  // Every record() has returned by now: nothing waits for a commit.
  EXPECT_NE(text.find("\nsmimed_audit_queue_depth 0\n"), std::string::npos) << text;
}

TEST_F(RoleMatrixTest, AdminUiIsServedWithItsHeadersAndCannotLeaveWebRoot) {
  HttpsClient c = client();
  HttpResult index = c.request("GET", "/admin/");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_NE(index.headers["content-security-policy"].find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(index.headers["x-content-type-options"], "nosniff");
  for (const std::string target : {"/admin/../api/v1/token", "/admin/%2e%2e/CMakeLists.txt",
                                   "/admin/..%2f..%2fCMakeLists.txt", "/admin%2f..%2fREADME.md"}) {
    HttpResult r = c.raw("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    EXPECT_TRUE(r.status == 400 || r.status == 404) << target << " -> " << r.status;
    EXPECT_EQ(r.body.find("cmake_minimum_required"), std::string::npos) << target;
  }
  // API answers are not sniffable or frameable either.
  HttpResult api = c.request("GET", "/healthz");
  EXPECT_EQ(api.headers["x-content-type-options"], "nosniff");
}

}  // namespace
}  // namespace smime::test
