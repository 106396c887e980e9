// The whole route table: every route answers (2xx for an admin with valid input), the role x
// route matrix (allowed roles get past authorisation, the others get 403), 401 without a
// token, and the OpenAPI document lists exactly the routes of the table with their access.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "api_fixture.hpp"
#include "smime/certs/certificate_info.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

using nlohmann::json;
using store::ApiRole;

std::string text(const std::vector<unsigned char>& bytes) {
  return {bytes.begin(), bytes.end()};
}

// A concrete target for a pattern ("{x}" -> value).
std::string fill(std::string pattern, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    const std::string key = "{" + name + "}";
    for (auto pos = pattern.find(key); pos != std::string::npos; pos = pattern.find(key)) {
      pattern.replace(pos, key.size(), value);
    }
  }
  return pattern;
}

struct Happy {
  std::string target;
  std::string body;
  std::string content_type;
  int status;
};

class RouteTableTest : public ApiTest {
 protected:
  // Makes what the routes' happy paths need (a certificate issued by `ca`, with `ca` imported;
  // a spare key, a group, an API token) and returns a request per operation that succeeds on
  // it.
  std::map<std::string, Happy> happy_requests(const IssuedCertificate& ca);
};

std::map<std::string, Happy> RouteTableTest::happy_requests(const IssuedCertificate& ca) {
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("t@example.org").issued_by(ca));
  IssuedCertificate fresh = issue_certificate(CertificateSpec::smime("f@example.org"));
  const std::string ca_fp = import_pem(pem(ca.cert.get())).front();
  const std::string fp = certs::sha256_fingerprint(c.cert.get());
  const std::string key_id = keys_.generate(KeyAlgorithm::ec_p256, "spare").id;
  json_call(201, "PUT", "/api/v1/groups/g", json{{"email", "g@example.org"}}.dump(),
            "application/json");
  const auto token = tokens_->create("victim", ApiRole::auditor);
  // In table order, so later requests can rely on earlier ones (import before delete).
  return {
      {"health", {"/healthz", "", "", 200}},
      {"openapi", {"/api/v1/openapi.json", "", "", 200}},
      {"importCertificates",
       {"/api/v1/certificates", pem(c.cert.get()), "application/x-pem-file", 201}},
      {"listCertificates", {"/api/v1/certificates?email=t%40example.org", "", "", 200}},
      {"getCertificate", {"/api/v1/certificates/" + fp, "", "", 200}},
      {"setCertificateTrust",
       {"/api/v1/certificates/" + fp + "/trust", json{{"trusted", false}}.dump(),
        "application/json", 200}},
      {"downloadCertificate", {"/api/v1/certificates/" + fp + "/download?format=der", "", "", 200}},
      {"deleteCertificate", {"/api/v1/certificates/" + ca_fp, "", "", 204}},
      {"importPrivateKey",
       {"/api/v1/certificates/" + fp + "/private-key?exportable=true", pem_pkcs8(c.key.get()),
        "application/x-pem-file", 201}},
      {"exportPrivateKey",
       {"/api/v1/certificates/" + fp + "/private-key/export", json{{"passphrase", "p"}}.dump(),
        "application/json", 200}},
      {"listKeys", {"/api/v1/keys", "", "", 200}},
      {"generateKey",
       {"/api/v1/keys", json{{"algorithm", "ec-p256"}, {"label", "new"}}.dump(), "application/json",
        201}},
      {"deleteKey", {"/api/v1/keys/" + key_id, "", "", 204}},
      {"listGroups", {"/api/v1/groups", "", "", 200}},
      {"getGroup", {"/api/v1/groups/g", "", "", 200}},
      {"putGroup",
       {"/api/v1/groups/g", json{{"email", "g@example.org"}, {"default", "sign"}}.dump(),
        "application/json", 200}},
      {"deleteGroup", {"/api/v1/groups/g", "", "", 204}},
      {"importCrl", {"/api/v1/crls", "", "application/pkix-crl", 201}},
      {"listCrls", {"/api/v1/crls", "", "", 200}},
      {"getTokenStatus", {"/api/v1/token", "", "", 200}},
      {"listApiTokens", {"/api/v1/api-tokens", "", "", 200}},
      {"createApiToken",
       {"/api/v1/api-tokens", json{{"name", "n"}, {"role", "auditor"}}.dump(), "application/json",
        201}},
      {"revokeApiToken", {"/api/v1/api-tokens/" + std::to_string(token.token.id), "", "", 204}},
      // t@example.org's key was imported above (importPrivateKey).
      {"processOutgoing",
       {"/api/v1/messages/outgoing?sign=true&encrypt=false",
        "From: t@example.org\r\nTo: x@example.org\r\nSubject: x\r\n\r\nhi", "message/rfc822", 200}},
      {"processIncoming",
       {"/api/v1/messages/incoming", "Subject: x\r\n\r\nhi", "message/rfc822", 200}},
      {"preflight",
       {"/api/v1/messages/preflight",
        json{{"from", "t@example.org"}, {"to", {"x@example.org"}}}.dump(), "application/json",
        200}},
      {"listLogs", {"/api/v1/logs", "", "", 200}},
      {"metrics", {"/metrics", "", "", 200}},
  };
}

TEST_F(RouteTableTest, EveryRouteAnswersAnAdminWithValidInput) {
  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("Table Root"));
  const std::map<std::string, Happy> happy = happy_requests(ca);
  std::set<std::string> covered;
  for (const server::Route& route : router_->routes()) {
    auto it = happy.find(route.operation);
    ASSERT_NE(it, happy.end()) << "no happy-path request for " << route.operation;
    Happy h = it->second;
    if (route.operation == "importCrl") {
      // The CRL's CA was deleted by deleteCertificate above: import it again first.
      import_pem(pem(ca.cert.get()));
      h.body = text(issue_crl(ca, {}, 30, false));
    }
    server::Response r = call(route.method, h.target, ApiRole::admin, h.body, h.content_type);
    EXPECT_EQ(r.status, h.status) << route.method << " " << h.target << ": " << r.body;
    covered.insert(route.operation);
  }
  EXPECT_EQ(covered.size(), happy.size()) << "every happy-path entry names a route";
}

TEST_F(RouteTableTest, RoleMatrix) {
  for (const server::Route& route : router_->routes()) {
    const std::string target =
        fill(route.pattern, {{"fingerprint", "00000000deadbeef"}, {"id", "1"}, {"name", "nope"}});
    const std::string content_type = route.accepts.empty() ? "" : route.accepts.front();
    const std::string body = route.accepts.empty() ? "" : "{}";
    for (ApiRole role : {ApiRole::admin, ApiRole::operator_, ApiRole::auditor}) {
      server::Response r = call(route.method, target, role, body, content_type);
      const bool allowed = server::allows(route.access, role);
      std::string code;
      if (!r.body.empty() && r.content_type == "application/json") {
        auto j = json::parse(r.body);
        if (j.contains("error") && j["error"].is_object()) code = j["error"]["code"];
      }
      if (allowed) {
        EXPECT_NE(code, "insufficient_role")
            << route.method << " " << route.pattern << " as " << store::to_string(role);
        EXPECT_NE(r.status, 401);
      } else {
        EXPECT_EQ(r.status, 403) << route.method << " " << route.pattern << " as "
                                 << store::to_string(role);
        EXPECT_EQ(code, "insufficient_role");
      }
    }
    server::Response anonymous = call(route.method, target, std::nullopt, body, content_type);
    if (route.access == server::Access::public_) {
      EXPECT_NE(anonymous.status, 401);
    } else {
      EXPECT_EQ(anonymous.status, 401) << route.method << " " << route.pattern;
    }
  }
}

TEST_F(RouteTableTest, DocumentedRoles) {
  // SPEC §8: operator = messages, preflight, read certificates; auditor = read certificates
  // and logs; admin = everything.
  std::map<std::string, server::Access> by_operation;
  for (const auto& route : router_->routes()) by_operation[route.operation] = route.access;
  EXPECT_EQ(by_operation["listCertificates"], server::Access::read_certificates);
  EXPECT_EQ(by_operation["getCertificate"], server::Access::read_certificates);
  EXPECT_EQ(by_operation["downloadCertificate"], server::Access::read_certificates);
  EXPECT_EQ(by_operation["processOutgoing"], server::Access::messages);
  EXPECT_EQ(by_operation["preflight"], server::Access::messages);
  EXPECT_EQ(by_operation["listLogs"], server::Access::logs);
  EXPECT_EQ(by_operation["importCertificates"], server::Access::admin);
  EXPECT_EQ(by_operation["health"], server::Access::public_);
}

TEST_F(RouteTableTest, OpenApiListsExactlyTheRouteTable) {
  server::Response r = call("GET", "/api/v1/openapi.json", ApiRole::auditor);
  ASSERT_EQ(r.status, 200);
  const json doc = json::parse(r.body);
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");

  std::set<std::string> documented;
  std::set<std::string> operation_ids;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      std::string upper = method;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert(upper + " " + path);
      operation_ids.insert(op["operationId"]);
    }
  }
  std::set<std::string> routed;
  for (const auto& route : router_->routes()) {
    const std::string key = route.method + " " + route.pattern;
    EXPECT_TRUE(routed.insert(key).second) << "duplicate route " << key;
    ASSERT_TRUE(doc["paths"].contains(route.pattern)) << key << " is not documented";
    std::string method = route.method;
    for (char& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const json& op = doc["paths"][route.pattern][method];
    EXPECT_EQ(op["operationId"], route.operation) << key;
    EXPECT_EQ(op["x-smime-access"], std::string(server::to_string(route.access))) << key;
    const bool public_op = op.contains("security") && op["security"].empty();
    EXPECT_EQ(public_op, route.access == server::Access::public_) << key;
    if (!route.accepts.empty() && route.accepts.front() != "*/*") {
      ASSERT_TRUE(op.contains("requestBody")) << key;
      std::set<std::string> types;
      for (const auto& [type, schema] : op["requestBody"]["content"].items()) types.insert(type);
      EXPECT_EQ(types, std::set<std::string>(route.accepts.begin(), route.accepts.end())) << key;
    }
    // The query parameters the router lets through are the documented ones.
    std::set<std::string> query;
    for (const json& p : op.value("parameters", json::array())) {
      if (p.value("in", "") == "query") query.insert(p["name"].get<std::string>());
    }
    EXPECT_EQ(query, std::set<std::string>(route.parameters.begin(), route.parameters.end()))
        << key;
  }
  EXPECT_EQ(documented, routed);
  EXPECT_EQ(operation_ids.size(), routed.size()) << "operationIds are unique";
}

}  // namespace
}  // namespace smime::test
