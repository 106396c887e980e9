// The API route table as a pure function over real services (SQLite store, certificate
// service) and a fake key store: each route's happy path, its error statuses and its audit
// record.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api_fixture.hpp"
#include "smime/certs/certificate_info.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

std::string text(const std::vector<unsigned char>& bytes) {
  return {bytes.begin(), bytes.end()};
}

TEST_F(ApiTest, CertificateImportListShowDownloadDelete) {
  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("API Root"));
  IssuedCertificate alice =
      issue_certificate(CertificateSpec::smime("alice@example.org").issued_by(ca));
  const auto fps = import_pem(pem_bundle({ca.cert.get(), alice.cert.get()}));
  ASSERT_EQ(fps.size(), 2u);
  const std::string fp = certs::sha256_fingerprint(alice.cert.get());

  json list = json_call(200, "GET", "/api/v1/certificates?email=ALICE%40example.org");
  ASSERT_EQ(list["certificates"].size(), 1u);
  EXPECT_EQ(list["certificates"][0]["fingerprint"], fp);
  EXPECT_EQ(json_call(200, "GET", "/api/v1/certificates")["certificates"].size(), 2u);
  EXPECT_EQ(json_call(200, "GET", "/api/v1/certificates?ca=true")["certificates"].size(), 1u);

  json shown = json_call(200, "GET", "/api/v1/certificates/" + fp.substr(0, 12));
  EXPECT_EQ(shown["fingerprint"], fp);
  EXPECT_EQ(shown["chain_trusted"], true);
  EXPECT_EQ(shown["status"], "valid");

  server::Response pem_download = call("GET", "/api/v1/certificates/" + fp + "/download");
  EXPECT_EQ(pem_download.status, 200);
  EXPECT_EQ(pem_download.content_type, "application/x-pem-file");
  EXPECT_EQ(pem_download.body, pem(alice.cert.get()));
  EXPECT_TRUE(pem_download.headers.get("Content-Disposition"));
  server::Response der_download =
      call("GET", "/api/v1/certificates/" + fp + "/download?format=der");
  EXPECT_EQ(der_download.content_type, "application/pkix-cert");
  EXPECT_EQ(der_download.body, text(der(alice.cert.get())));
  EXPECT_EQ(call("GET", "/api/v1/certificates/" + fp + "/download?format=p7").status, 400);

  EXPECT_EQ(call("DELETE", "/api/v1/certificates/" + fp + "?with_key=true").status, 204);
  EXPECT_EQ(call("GET", "/api/v1/certificates/" + fp).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/certificates/" + fp).status, 404);
}

TEST_F(ApiTest, TrustAnchorsAtImportAndThroughTheTrustRoute) {
  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("API Trust Root"));
  IssuedCertificate bob =
      issue_certificate(CertificateSpec::smime("bob@example.org").issued_by(ca));
  json imported = json_call(201, "POST", "/api/v1/certificates?trust=false",
                            pem_bundle({ca.cert.get(), bob.cert.get()}), "application/x-pem-file");
  ASSERT_EQ(imported["imported"].size(), 2u);
  EXPECT_EQ(imported["imported"][0]["trusted"], false);
  const std::string fp = certs::sha256_fingerprint(ca.cert.get());
  const std::string bob_fp = certs::sha256_fingerprint(bob.cert.get());
  EXPECT_EQ(json_call(200, "GET", "/api/v1/certificates/" + bob_fp)["chain_trusted"], false);

  json changed = json_call(200, "PUT", "/api/v1/certificates/" + fp + "/trust",
                           R"({"trusted": true})", "application/json");
  EXPECT_EQ(changed["trusted"], true);
  EXPECT_EQ(json_call(200, "GET", "/api/v1/certificates/" + bob_fp)["chain_trusted"], true);
  const auto events = audit_.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().operation, "certificate.trust");
  EXPECT_EQ(events.back().fingerprints, std::vector<std::string>{fp});

  EXPECT_EQ(call("PUT", "/api/v1/certificates/" + fp + "/trust", store::ApiRole::admin, "{}",
                 "application/json")
                .status,
            400);
  EXPECT_EQ(call("PUT", "/api/v1/certificates/" + fp + "/trust", store::ApiRole::operator_,
                 R"({"trusted": false})", "application/json")
                .status,
            403);
  EXPECT_EQ(call("PUT", "/api/v1/certificates/" + std::string(64, 'a') + "/trust",
                 store::ApiRole::admin, R"({"trusted": false})", "application/json")
                .status,
            404);
}

TEST_F(ApiTest, ImportStatusesFollowTheFailure) {
  IssuedCertificate good = issue_certificate(CertificateSpec::smime("good@example.org"));
  CertificateSpec bad_spec = CertificateSpec::smime("bad@example.org");
  bad_spec.extended_key_usages = {"serverAuth"};
  IssuedCertificate bad = issue_certificate(bad_spec);

  import_pem(pem(good.cert.get()));
  json dup = json_call(409, "POST", "/api/v1/certificates", pem(good.cert.get()), "text/plain");
  EXPECT_EQ(dup["error"]["code"], "duplicate");
  EXPECT_EQ(dup["error"]["message"], "Fingerprint already taken");

  json rule = json_call(422, "POST", "/api/v1/certificates", pem(bad.cert.get()), "text/plain");
  EXPECT_EQ(rule["error"]["code"], "rule_failed");
  EXPECT_EQ(rule["error"]["details"][0]["rule"], "extended_key_usage");

  json garbage =
      json_call(400, "POST", "/api/v1/certificates", "\x01\x02garbage", "application/octet-stream");
  EXPECT_TRUE(garbage["error"]["message"].is_string());

  // A bundle with one good and one bad certificate stores the good one: 201 with errors.
  IssuedCertificate other = issue_certificate(CertificateSpec::smime("other@example.org"));
  json mixed = json_call(201, "POST", "/api/v1/certificates",
                         pem_bundle({other.cert.get(), bad.cert.get()}), "application/x-pem-file");
  EXPECT_EQ(mixed["imported"].size(), 1u);
  EXPECT_EQ(mixed["errors"].size(), 1u);

  // DER and PKCS#7 bodies are accepted too.
  IssuedCertificate d = issue_certificate(CertificateSpec::smime("der@example.org"));
  EXPECT_EQ(call("POST", "/api/v1/certificates", store::ApiRole::admin, text(der(d.cert.get())),
                 "application/pkix-cert")
                .status,
            201);
  IssuedCertificate p = issue_certificate(CertificateSpec::smime("p7@example.org"));
  EXPECT_EQ(call("POST", "/api/v1/certificates", store::ApiRole::admin,
                 text(pkcs7_certs_only({p.cert.get()}, false)), "application/pkcs7-mime")
                .status,
            201);
}

TEST_F(ApiTest, Pkcs12ImportPutsTheKeyInTheKeyStore) {
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("p12@example.org"));
  server::Request r =
      request("POST", "/api/v1/certificates?exportable=true", store::ApiRole::admin,
              text(pkcs12(c.cert.get(), c.key.get(), {}, "pw")), "application/x-pkcs12");
  server::Request wrong = r;
  wrong.headers.add("X-Passphrase", "nope");
  server::Response rejected = router_->handle(wrong);
  EXPECT_EQ(rejected.status, 422) << rejected.body;
  r.headers.add("X-Passphrase", "pw");
  server::Response ok = router_->handle(r);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["imported"][0]["key_imported"], true);
  EXPECT_EQ(keys_.list().size(), 1u);
}

TEST_F(ApiTest, PrivateKeyImportAndExport) {
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("key@example.org"));
  const std::string fp = import_pem(pem(c.cert.get())).front();
  const std::string path = "/api/v1/certificates/" + fp + "/private-key";

  // Another certificate's key is refused; an encrypted key needs its passphrase.
  IssuedCertificate other = issue_certificate(CertificateSpec::smime("x@example.org"));
  EXPECT_EQ(call("POST", path, store::ApiRole::admin, pem_pkcs8(other.key.get()),
                 "application/x-pem-file")
                .status,
            400);
  server::Request encrypted = request("POST", path + "?exportable=true", store::ApiRole::admin,
                                      pem_encrypted_pkcs8(c.key.get(), "secret"), "text/plain");
  encrypted.headers.add("X-Passphrase", "wrong");
  EXPECT_EQ(router_->handle(encrypted).status, 422);

  json body = {{"key", pem_encrypted_pkcs8(c.key.get(), "secret")},
               {"passphrase", "secret"},
               {"exportable", true}};
  json imported = json_call(201, "POST", path, body.dump(), "application/json");
  EXPECT_EQ(imported["exportable"], true);
  EXPECT_EQ(imported["certificates"][0], fp);
  EXPECT_EQ(json_call(200, "GET", "/api/v1/certificates/" + fp)["has_private_key"], true);
  EXPECT_EQ(json_call(409, "POST", path, pem_pkcs8(c.key.get()), "text/plain")["error"]["code"],
            "conflict");

  EXPECT_EQ(call("POST", path + "/export", store::ApiRole::admin, "{}", "application/json").status,
            400);
  server::Response exported = call("POST", path + "/export", store::ApiRole::admin,
                                   json{{"passphrase", "out"}}.dump(), "application/json");
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_NE(exported.body.find("ENCRYPTED PRIVATE KEY"), std::string::npos);

  // A non-exportable key is never exported.
  IssuedCertificate locked = issue_certificate(CertificateSpec::smime("locked@example.org"));
  const std::string locked_fp = import_pem(pem(locked.cert.get())).front();
  json_call(201, "POST", "/api/v1/certificates/" + locked_fp + "/private-key",
            pem_pkcs8(locked.key.get()), "application/x-pem-file");
  json refused = json_call(403, "POST", "/api/v1/certificates/" + locked_fp + "/private-key/export",
                           json{{"passphrase", "out"}}.dump(), "application/json");
  EXPECT_EQ(refused["error"]["code"], "forbidden");
}

TEST_F(ApiTest, KeyGenerationWithCsrAndSelfSigned) {
  json generated = json_call(
      201, "POST", "/api/v1/keys",
      json{{"algorithm", "ec-p256"}, {"label", "support"}, {"emails", {"support@example.org"}}}
          .dump(),
      "application/json");
  EXPECT_NE(generated["csr_pem"].get<std::string>().find("CERTIFICATE REQUEST"), std::string::npos);
  const std::string id = generated["key"]["id"];

  json self = json_call(201, "POST", "/api/v1/keys",
                        json{{"algorithm", "rsa-2048"},
                             {"label", "demo"},
                             {"emails", {"demo@example.org"}},
                             {"self_signed", true},
                             {"csr", false}}
                            .dump(),
                        "application/json");
  EXPECT_FALSE(self.contains("csr_pem"));
  const std::string fp = self["certificate_fingerprint"];
  EXPECT_EQ(json_call(200, "GET", "/api/v1/certificates/" + fp)["has_private_key"], true);

  EXPECT_EQ(json_call(200, "GET", "/api/v1/keys")["keys"].size(), 2u);
  EXPECT_EQ(
      json_call(400, "POST", "/api/v1/keys", json{{"algorithm", "dsa"}, {"label", "x"}}.dump(),
                "application/json")["error"]["code"],
      "invalid_input");
  EXPECT_EQ(json_call(400, "POST", "/api/v1/keys", json{{"label", "x"}}.dump(),
                      "application/json")["error"]["code"],
            "invalid_input");
  // A key that a stored certificate uses is not deleted behind its back.
  EXPECT_EQ(call("DELETE", "/api/v1/keys/" + self["key"]["id"].get<std::string>()).status, 409);
  EXPECT_EQ(call("DELETE", "/api/v1/keys/" + id).status, 204);
  EXPECT_EQ(call("DELETE", "/api/v1/keys/" + id).status, 404);
}

TEST_F(ApiTest, GroupsCrud) {
  const std::string body = json{{"email", "support@example.org"}, {"default", "sign"}}.dump();
  EXPECT_EQ(json_call(201, "PUT", "/api/v1/groups/support", body, "application/json")["default"],
            "sign");
  EXPECT_EQ(json_call(200, "PUT", "/api/v1/groups/support",
                      json{{"email", "support@example.org"}, {"default", "none"}}.dump(),
                      "application/json")["default"],
            "none");
  EXPECT_EQ(json_call(200, "GET", "/api/v1/groups")["groups"].size(), 1u);
  EXPECT_EQ(json_call(200, "GET", "/api/v1/groups/support")["email"], "support@example.org");
  EXPECT_EQ(call("PUT", "/api/v1/groups/x", store::ApiRole::admin, json{{"email", "nope"}}.dump(),
                 "application/json")
                .status,
            400);
  EXPECT_EQ(call("PUT", "/api/v1/groups/x", store::ApiRole::admin,
                 json{{"email", "a@b.c"}, {"default", "maybe"}}.dump(), "application/json")
                .status,
            400);
  EXPECT_EQ(call("DELETE", "/api/v1/groups/support").status, 204);
  EXPECT_EQ(call("GET", "/api/v1/groups/support").status, 404);
}

TEST_F(ApiTest, GroupVerificationPolicyFields) {
  const json created = json_call(
      201, "PUT", "/api/v1/groups/support",
      json{{"email", "support@example.org"}, {"revocation", "hard"}}.dump(), "application/json");
  EXPECT_EQ(created["revocation"], "hard");
  EXPECT_TRUE(created["reject_sha1"].is_null());  // the appliance's setting
  // Absent: unchanged; null: the appliance's again.
  const json changed = json_call(
      200, "PUT", "/api/v1/groups/support",
      json{{"email", "support@example.org"}, {"reject_sha1", true}}.dump(), "application/json");
  EXPECT_EQ(changed["revocation"], "hard");
  EXPECT_EQ(changed["reject_sha1"], true);
  const json reset = json_call(
      200, "PUT", "/api/v1/groups/support",
      json{{"email", "support@example.org"}, {"revocation", nullptr}}.dump(), "application/json");
  EXPECT_TRUE(reset["revocation"].is_null());
  EXPECT_EQ(reset["reject_sha1"], true);
  const json shown = json_call(200, "GET", "/api/v1/groups/support");
  EXPECT_TRUE(shown["revocation"].is_null());
  EXPECT_EQ(json_call(200, "GET", "/api/v1/groups")["groups"][0]["reject_sha1"], true);
  for (const json& bad : {json{{"email", "a@b.c"}, {"revocation", "medium"}},
                          json{{"email", "a@b.c"}, {"revocation", true}},
                          json{{"email", "a@b.c"}, {"reject_sha1", "yes"}}}) {
    EXPECT_EQ(
        json_call(400, "PUT", "/api/v1/groups/x", bad.dump(), "application/json")["error"]["code"],
        "invalid_input")
        << bad.dump();
  }
  EXPECT_EQ(call("GET", "/api/v1/groups/x").status, 404);
}

TEST_F(ApiTest, CrlImportAndList) {
  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("CRL Root"));
  IssuedCertificate leaf = issue_certificate(CertificateSpec::smime("r@example.org").issued_by(ca));
  const std::string crl = text(issue_crl(ca, {{leaf.cert.get(), 1}}, 30, true));
  EXPECT_EQ(json_call(404, "POST", "/api/v1/crls", crl, "application/pkix-crl")["error"]["code"],
            "not_found");
  import_pem(pem(ca.cert.get()));
  json stored = json_call(201, "POST", "/api/v1/crls", crl, "application/pkix-crl");
  EXPECT_EQ(stored["issuer_fingerprint"], certs::sha256_fingerprint(ca.cert.get()));
  EXPECT_EQ(json_call(200, "GET", "/api/v1/crls")["crls"].size(), 1u);
  EXPECT_EQ(call("POST", "/api/v1/crls", store::ApiRole::admin, "junk", "text/plain").status, 400);
}

TEST_F(ApiTest, HealthzNeedsNoTokenAndReportsTheReasonToACallerWithOne) {
  server::Response ok = call("GET", "/healthz", std::nullopt);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body)["status"], "ok");
  healthy_ = false;
  // The health of the last second is remembered (a stranger polling costs one probe a second).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  server::Response down = call("GET", "/healthz", store::ApiRole::auditor);
  EXPECT_EQ(down.status, 503);
  json body = json::parse(down.body);
  EXPECT_EQ(body["error"]["code"], "unhealthy");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("removed"), std::string::npos);
  EXPECT_FALSE(body["checks"]["token"]["ok"]);
  EXPECT_TRUE(body["checks"]["database"]["ok"]);
}

TEST_F(ApiTest, HealthzTellsAStrangerOnlyOkOrUnavailable) {
  healthy_ = false;
  server::Response down = call("GET", "/healthz", std::nullopt);
  EXPECT_EQ(down.status, 503);
  const json body = json::parse(down.body);
  EXPECT_EQ(body["status"], "unavailable");
  EXPECT_FALSE(body.contains("checks")) << body.dump();
  EXPECT_EQ(down.body.find("removed"), std::string::npos) << down.body;
  EXPECT_EQ(down.body.find("token"), std::string::npos) << down.body;
}

TEST_F(ApiTest, TokenStatus) {
  EXPECT_EQ(json_call(200, "GET", "/api/v1/token")["token"]["label"], "fake");
}

TEST_F(ApiTest, ApiTokensCreateListRevoke) {
  json created =
      json_call(201, "POST", "/api/v1/api-tokens",
                json{{"name", "helpdesk"}, {"role", "operator"}}.dump(), "application/json");
  const std::string secret = created["secret"];
  EXPECT_EQ(secret.rfind("smk_", 0), 0u);
  auto who = tokens_->authenticate(secret);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->role, store::ApiRole::operator_);

  json listed = json_call(200, "GET", "/api/v1/api-tokens");
  ASSERT_EQ(listed["tokens"].size(), 1u);
  EXPECT_FALSE(listed["tokens"][0].contains("secret"));
  EXPECT_EQ(listed.dump().find(secret), std::string::npos);

  EXPECT_EQ(
      json_call(400, "POST", "/api/v1/api-tokens", json{{"name", "x"}, {"role", "root"}}.dump(),
                "application/json")["error"]["code"],
      "invalid_input");
  const std::string id = std::to_string(created["id"].get<std::int64_t>());
  EXPECT_EQ(call("DELETE", "/api/v1/api-tokens/" + id).status, 204);
  EXPECT_FALSE(tokens_->authenticate(secret));
  EXPECT_EQ(call("DELETE", "/api/v1/api-tokens/999").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/api-tokens/abc").status, 404);
}

TEST_F(ApiTest, AdminChangesAreAudited) {
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("audit@example.org"));
  const std::string fp = import_pem(pem(c.cert.get())).front();
  call("POST", "/api/v1/certificates", store::ApiRole::admin, pem(c.cert.get()), "text/plain");
  call("DELETE", "/api/v1/certificates/" + fp);
  const auto events = audit_.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].operation, "certificate.import");
  EXPECT_EQ(events[0].actor, "42");
  EXPECT_EQ(events[0].direction, audit::Direction::admin);
  EXPECT_EQ(events[0].status, audit::Status::ok);
  EXPECT_EQ(events[0].fingerprints, std::vector<std::string>{fp});
  EXPECT_EQ(events[0].addresses, std::vector<std::string>{"audit@example.org"});
  EXPECT_EQ(events[1].status, audit::Status::failed) << "the duplicate";
  EXPECT_EQ(events[2].operation, "certificate.delete");
}

TEST_F(ApiTest, NoAcknowledgedChangeWithoutItsAuditRecord) {
  audit_.fail(true);
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("lost@example.org"));
  server::Response r =
      call("POST", "/api/v1/certificates", store::ApiRole::admin, pem(c.cert.get()), "text/plain");
  // The audit log is storage: while it cannot write, the node is unavailable (503).
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "storage_failure");
  EXPECT_FALSE(store_->certificate(certs::sha256_fingerprint(c.cert.get())))
      << "the change was rolled back with its entry";
}

TEST_F(ApiTest, MetricsServeTheServersCountersToAuditors) {
  server::Response metrics = call("GET", "/metrics", store::ApiRole::auditor);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body, "smime_up 1\n");
  EXPECT_EQ(call("GET", "/metrics", store::ApiRole::operator_).status, 403);
}

}  // namespace
}  // namespace smime::test
