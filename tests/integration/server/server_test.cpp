// smimed over real TLS on loopback with its key in a SoftHSM2 token: protocol versions,
// health, authentication, keep-alive, request limits and a certificate round trip.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.hpp"
#include "smime/certs/certificate_info.hpp"
#include "smime/certs/certificate_input.hpp"
#include "smime/common/hex.hpp"
#include "smime/token/key_store.hpp"
#include "support/process.hpp"
#include "support/test_certs.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

TEST_F(ServerTest, OnlyTls12AndNewerAreAccepted) {
  EXPECT_THROW(HttpsClient(port_, {TLS1_VERSION, TLS1_VERSION}), std::runtime_error);
  EXPECT_THROW(HttpsClient(port_, {TLS1_1_VERSION, TLS1_1_VERSION}), std::runtime_error);
  EXPECT_THROW(HttpsClient(port_, {TLS1_VERSION, TLS1_1_VERSION}), std::runtime_error);
  HttpsClient tls12(port_, {TLS1_2_VERSION, TLS1_2_VERSION});
  EXPECT_EQ(tls12.tls_version(), "TLSv1.2");
  EXPECT_EQ(tls12.request("GET", "/healthz").status, 200);
  HttpsClient tls13(port_);
  EXPECT_EQ(tls13.tls_version(), "TLSv1.3");
  EXPECT_EQ(tls13.request("GET", "/healthz").status, 200);
}

TEST_F(ServerTest, ServerCertificateWasCreatedWithItsKeyInTheToken) {
  EXPECT_TRUE(std::filesystem::exists(scratch_.path() / "home" / "smimed-tls.pem"));
  bool found = false;
  for (const auto& k : key_store().list()) found = found || k.label == "smimed-tls";
  EXPECT_TRUE(found);
}

TEST_F(ServerTest, HealthzNeedsNoToken) {
  HttpsClient c = client();
  HttpResult r = c.request("GET", "/healthz");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json({{"status", "ok"}})) << "a stranger learns no more";
  // With a token, the checks and what they found.
  HttpResult detailed = c.request("GET", "/healthz", "", auth());
  ASSERT_EQ(detailed.status, 200) << detailed.body;
  json body = json::parse(detailed.body);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["checks"]["token"]["ok"], true);
  EXPECT_EQ(body["checks"]["database"]["ok"], true);
}

TEST_F(ServerTest, KeepAliveAndAuthentication) {
  HttpsClient c = client();
  HttpResult anonymous = c.request("GET", "/api/v1/certificates");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_TRUE(anonymous.keep_alive);
  EXPECT_EQ(json::parse(anonymous.body)["error"]["code"], "unauthorized");
  HttpResult wrong = c.request("GET", "/api/v1/certificates", "",
                               {{"Authorization", "Bearer smk_" + std::string(64, '0')}});
  EXPECT_EQ(wrong.status, 401);
  // The same connection serves the next requests.
  for (int i = 0; i < 3; ++i) {
    HttpResult ok = c.request("GET", "/api/v1/certificates", "", auth());
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_TRUE(ok.keep_alive);
  }
  HttpResult missing = c.request("GET", "/api/v1/nothing", "", auth());
  EXPECT_EQ(missing.status, 404);
}

TEST_F(ServerTest, OversizedBodiesAre413) {
  {
    // Declared too large: answered without reading a byte of body.
    HttpsClient c = client();
    HttpResult r = c.raw(
        "POST /api/v1/certificates HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
        "Authorization: Bearer " +
        admin_secret_ + "\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "payload_too_large");
    EXPECT_FALSE(r.keep_alive);
  }
  {
    // Sent anyway: dropped, then answered.
    HttpsClient c = client();
    HttpResult r = c.request("POST", "/api/v1/certificates", std::string(kBodyLimit + 1000, 'x'),
                             auth("text/plain"));
    EXPECT_EQ(r.status, 413);
  }
  {
    // Chunked: cut off at the limit.
    HttpsClient c = client();
    std::string chunk(kBodyLimit + 10, 'y');
    char size[32];
    std::snprintf(size, sizeof size, "%zx", chunk.size());
    HttpResult r = c.raw(
        "POST /api/v1/certificates HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
        "Authorization: Bearer " +
        admin_secret_ + "\r\n\r\n" + size + "\r\n" + chunk + "\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, 413);
  }
  // Within the limit the server still works.
  HttpsClient c = client();
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
}

TEST_F(ServerTest, OversizedHeadersAre431) {
  HttpsClient c = client();
  HttpResult r = c.request("GET", "/healthz", "", {{"X-Filler", std::string(20000, 'h')}});
  EXPECT_EQ(r.status, 431);
}

TEST_F(ServerTest, CertificateRoundTrip) {
  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("HTTPS Root"));
  IssuedCertificate alice =
      issue_certificate(CertificateSpec::smime("alice@example.org").issued_by(ca));
  const std::string fp = certs::sha256_fingerprint(alice.cert.get());
  HttpsClient c = client();

  HttpResult imported =
      c.request("POST", "/api/v1/certificates", pem_bundle({ca.cert.get(), alice.cert.get()}),
                auth("application/x-pem-file"));
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(json::parse(imported.body)["imported"].size(), 2u);
  HttpResult again = c.request("POST", "/api/v1/certificates", pem(alice.cert.get()),
                               auth("application/x-pem-file"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(c.request("POST", "/api/v1/certificates", "hello", auth("application/json")).status,
            415);

  HttpResult list = c.request("GET", "/api/v1/certificates?email=alice%40example.org", "", auth());
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body)["certificates"][0]["fingerprint"], fp);

  HttpResult shown = c.request("GET", "/api/v1/certificates/" + fp.substr(0, 10), "", auth());
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(json::parse(shown.body)["chain_trusted"], true);

  HttpResult pem_file = c.request("GET", "/api/v1/certificates/" + fp + "/download", "", auth());
  EXPECT_EQ(pem_file.status, 200);
  EXPECT_EQ(pem_file.headers["content-type"], "application/x-pem-file");
  EXPECT_EQ(pem_file.body, pem(alice.cert.get()));
  HttpResult der_file =
      c.request("GET", "/api/v1/certificates/" + fp + "/download?format=der", "", auth());
  const auto expected = der(alice.cert.get());
  EXPECT_EQ(der_file.body, std::string(expected.begin(), expected.end()));

  EXPECT_EQ(c.request("DELETE", "/api/v1/certificates/" + fp, "", auth()).status, 204);
  EXPECT_EQ(c.request("GET", "/api/v1/certificates/" + fp, "", auth()).status, 404);
}

TEST_F(ServerTest, Pkcs12WithItsStoredCaIsCreatedAndTheCaIsPresent) {
  // Issue 17 item 2: the CA a PKCS#12 file carries is usually stored already.
  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("P12 Root", "rsa-2048"));
  IssuedCertificate dora =
      issue_certificate(CertificateSpec::smime("dora@example.org").issued_by(ca));
  HttpsClient c = client();
  ASSERT_EQ(
      c.request("POST", "/api/v1/certificates", pem(ca.cert.get()), auth("application/x-pem-file"))
          .status,
      201);
  const auto p12 = pkcs12(dora.cert.get(), dora.key.get(), {ca.cert.get()}, "pw");
  std::map<std::string, std::string> headers = auth("application/x-pkcs12");
  headers["X-Passphrase"] = "pw";
  HttpResult imported =
      c.request("POST", "/api/v1/certificates", std::string(p12.begin(), p12.end()), headers);
  ASSERT_EQ(imported.status, 201) << imported.body;
  const json report = json::parse(imported.body);
  EXPECT_EQ(report["imported"].size(), 1u);
  EXPECT_TRUE(report["imported"][0]["key_imported"].get<bool>());
  ASSERT_EQ(report["present"].size(), 1u);
  EXPECT_EQ(report["present"][0]["fingerprint"], certs::sha256_fingerprint(ca.cert.get()));
  EXPECT_TRUE(report["errors"].empty()) << imported.body;
  EXPECT_EQ(report["imported"][0]["legacy"], false);

  // The same file again stores nothing: the key decides (422), the CA is still no failure.
  HttpResult again =
      c.request("POST", "/api/v1/certificates", std::string(p12.begin(), p12.end()), headers);
  EXPECT_EQ(again.status, 422) << again.body;
  EXPECT_EQ(json::parse(again.body)["error"]["code"], "key_failed");
}

// smimed with the legacy-certificate policy on (issue 17 item 1).
class LegacyPolicyServerTest : public ServerTest {
 protected:
  void configure(AppConfig& config, server::ServerSettings&) override {
    config.certificates.legacy = true;
  }
};

TEST_F(LegacyPolicyServerTest, ALegacyCertificateIsMarkedInTheImportListAndShow) {
  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("Legacy Root", "rsa-2048"));
  CertificateSpec spec = CertificateSpec::smime("erin@example.org");
  spec.emails.clear();
  spec.subject_email = "erin@example.org";
  spec.key_usages.clear();
  IssuedCertificate erin = issue_certificate(spec.issued_by(ca));
  HttpsClient c = client();
  HttpResult imported =
      c.request("POST", "/api/v1/certificates", pem_bundle({ca.cert.get(), erin.cert.get()}),
                auth("application/x-pem-file"));
  ASSERT_EQ(imported.status, 201) << imported.body;
  const json report = json::parse(imported.body);
  ASSERT_EQ(report["imported"].size(), 2u);
  EXPECT_EQ(report["imported"][0]["legacy"], false);  // the CA
  EXPECT_EQ(report["imported"][1]["legacy_rules"],
            json::array({"subject_alt_name_email", "key_usage"}));
  EXPECT_NE(report["imported"][1]["relaxed"].get<std::string>().find("legacy-certificate policy"),
            std::string::npos);

  HttpResult list = c.request("GET", "/api/v1/certificates?email=erin%40example.org", "", auth());
  ASSERT_EQ(list.status, 200) << list.body;
  const json listed = json::parse(list.body)["certificates"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["legacy"], true);
  const std::string fp = certs::sha256_fingerprint(erin.cert.get());
  HttpResult shown = c.request("GET", "/api/v1/certificates/" + fp, "", auth());
  EXPECT_EQ(json::parse(shown.body)["legacy_rules"],
            json::array({"subject_alt_name_email", "key_usage"}));
}

TEST_F(ServerTest, ALegacyCertificateIsRefusedByDefaultNamingTheRule) {
  CertificateSpec spec = CertificateSpec::smime("erin@example.org");
  spec.emails.clear();
  spec.subject_email = "erin@example.org";
  IssuedCertificate erin = issue_certificate(spec);
  HttpResult refused = client().request("POST", "/api/v1/certificates", pem(erin.cert.get()),
                                        auth("application/x-pem-file"));
  EXPECT_EQ(refused.status, 422) << refused.body;
  const json error = json::parse(refused.body)["error"];
  EXPECT_EQ(error["details"][0]["rule"], "subject_alt_name_email");
  EXPECT_NE(error["message"].get<std::string>().find("legacy = true"), std::string::npos);
}

TEST_F(ServerTest, KeyGeneratedInTheTokenThroughTheApi) {
  HttpsClient c = client();
  HttpResult r = c.request(
      "POST", "/api/v1/keys",
      json{{"algorithm", "ec-p256"}, {"label", "api-key"}, {"emails", {"org@example.org"}}}.dump(),
      auth("application/json"));
  ASSERT_EQ(r.status, 201) << r.body;
  json body = json::parse(r.body);
  EXPECT_NE(body["csr_pem"].get<std::string>().find("BEGIN CERTIFICATE REQUEST"),
            std::string::npos);
  EXPECT_TRUE(key_store().find(body["key"]["id"].get<std::string>()));
  HttpResult status = c.request("GET", "/api/v1/token", "", auth());
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(json::parse(status.body)["token"]["label"], kTestTokenLabel);
}

TEST_F(ServerTest, TheTlsKeyCannotBeDeletedThroughTheApi) {
  HttpsClient c = client();
  HttpResult keys = c.request("GET", "/api/v1/keys", "", auth());
  ASSERT_EQ(keys.status, 200) << keys.body;
  // The key of this server's certificate (the shared token holds earlier tests' TLS keys too).
  const std::string pem = read_file(appliance_->settings().tls_certificate.string());
  const certs::CertificateInput input = certs::read_certificate_input(
      {reinterpret_cast<const unsigned char*>(pem.data()), pem.size()});
  ASSERT_EQ(input.certificates.size(), 1u);
  const std::string tls_key = to_hex(key_id_for(X509_get0_pubkey(input.certificates[0].get())));
  bool listed = false;
  const json parsed = json::parse(keys.body);
  for (const auto& k : parsed["keys"]) {
    listed = listed || (k["id"] == tls_key && k["label"] == "smimed-tls");
  }
  ASSERT_TRUE(listed) << tls_key << " in " << keys.body;
  HttpResult refused = c.request("DELETE", "/api/v1/keys/" + tls_key, "", auth());
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("TLS key"), std::string::npos) << refused.body;
  EXPECT_TRUE(key_store().find(tls_key));
  // New connections still complete their handshake with the token key.
  EXPECT_EQ(client().request("GET", "/healthz").status, 200);
  // Session figures the token does not report are null, not ~0UL.
  json status = json::parse(c.request("GET", "/api/v1/token", "", auth()).body);
  ASSERT_TRUE(status["sessions"].contains("open"));
  EXPECT_TRUE(status["sessions"]["open"].is_null() ||
              status["sessions"]["open"].get<std::uint64_t>() < (1ULL << 53))
      << status.dump();
}

class LimitedServerTest : public ServerTest {
 protected:
  void configure(AppConfig& /*config*/, server::ServerSettings& settings) override {
    settings.max_connections = 2;
  }
};

TEST_F(LimitedServerTest, ConnectionsBeyondTheLimitAreRefused) {
  auto first = std::make_unique<HttpsClient>(port_);
  HttpsClient second(port_);
  EXPECT_EQ(first->request("GET", "/healthz").status, 200);
  EXPECT_EQ(second.request("GET", "/healthz").status, 200);
  EXPECT_THROW(HttpsClient{port_}, std::runtime_error);
  // A closed connection frees its place.
  first.reset();
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    try {
      HttpsClient third(port_);
      admitted = third.request("GET", "/healthz").status == 200;
    } catch (const std::runtime_error&) {
    }
  }
  EXPECT_TRUE(admitted);
}

TEST_F(ServerTest, ConcurrentClients) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      HttpsClient c(port_);
      for (int i = 0; i < 10; ++i) {
        if (c.request("GET", "/api/v1/certificates", "", auth()).status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace smime::test
