// Online revocation in a running smimed (issue 16 item 3): a CRL fetch that fails is in the
// audit log (crl.fetch_failed, with the URL) and in /metrics; a fetched CRL is answered in the
// incoming result's revocation check; and smimed's background refresher fetches a CRL again
// before its nextUpdate, so that a revocation published meanwhile is found. The CRLs come from a
// real HTTP server on 127.0.0.1 (tests/support/http_file_server.py), started by the test.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.hpp"
#include "support/correspondent_mail.hpp"
#include "support/revocation_servers.hpp"
#include "support/test_certs.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

std::string signed_message(const IssuedCertificate& who) {
  return correspondent_signed(who, correspondent_text("alice@example.com", "Ticket 4711"));
}

class RevocationFetchTest : public ServerTest {
 protected:
  void configure(AppConfig& config, server::ServerSettings&) override {
    config.revocation.refresh_interval_s = 1;
    config.revocation.refresh_margin_s = 2 * 86400;  // a CRL valid for a day is refreshed
    config.revocation.timeout_ms = 3000;
  }
  void SetUp() override {
    crl_server_ = std::make_unique<LocalHttpServer>(scratch_.path() / "crl-server");
    ServerTest::SetUp();
    trust(ca_.cert.get());
  }

  IssuedCertificate alice(const std::string& crl_url) {
    CertificateSpec spec = CertificateSpec::smime("alice@example.com");
    spec.crl_urls = {crl_url};
    spec.issued_by(ca_);
    return issue_certificate(spec);
  }

  json revocation_of(const IssuedCertificate& who) {
    return incoming(signed_message(who))["signatures"][0]["checks"]["revocation"];
  }

  std::string metrics() {
    HttpResult r = client().request("GET", "/metrics", "", auth());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  std::string stored_crl_number() {
    const auto crls = appliance_->application().store().list_crls();
    return crls.empty() ? std::string() : crls[0].crl_number;
  }

  IssuedCertificate ca_ = issue_certificate(CertificateSpec::authority("Fetch Test CA"));
  std::unique_ptr<LocalHttpServer> crl_server_;
};

TEST_F(RevocationFetchTest, AFailedFetchIsAuditedAndCounted) {
  const std::string url = crl_server_->url("missing.crl");
  const json revocation = revocation_of(alice(url));
  EXPECT_EQ(revocation["status"], "unknown") << revocation.dump();
  EXPECT_NE(revocation["reason"].get<std::string>().find("HTTP status 404"), std::string::npos)
      << revocation.dump();

  HttpResult logs = client().request("GET", "/api/v1/logs?operation=crl.fetch_failed", "", auth());
  ASSERT_EQ(logs.status, 200) << logs.body;
  const json entries = json::parse(logs.body)["entries"];
  ASSERT_EQ(entries.size(), 1u) << logs.body;
  EXPECT_EQ(entries[0]["status"], "failed");
  EXPECT_NE(entries[0]["detail"].get<std::string>().find(url), std::string::npos) << logs.body;

  const std::string text = metrics();
  EXPECT_NE(text.find("# TYPE smimed_revocation_fetches_total counter"), std::string::npos);
  EXPECT_NE(text.find(R"(smimed_revocation_fetches_total{kind="crl",result="failed"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(smimed_revocation_fetches_total{kind="crl",result="ok"} 0)"),
            std::string::npos)
      << text;
}

TEST_F(RevocationFetchTest, TheRefresherFetchesANewerCrlBeforeNextUpdate) {
  const IssuedCertificate who = alice(crl_server_->url("ca.crl"));
  crl_server_->put("ca.crl", issue_crl(ca_, {}, 1, false, 1, 120));  // nextUpdate in a day
  json revocation = revocation_of(who);
  EXPECT_EQ(revocation["status"], "good") << revocation.dump();
  EXPECT_EQ(revocation["source"], "crl");
  EXPECT_EQ(revocation["origin"], "fetched");
  ASSERT_EQ(stored_crl_number(), "1");

  // Published meanwhile: smimed's refresher (every second here) fetches it on its own.
  crl_server_->put("ca.crl", issue_crl(ca_, {{who.cert.get(), 1}}, 1, false, 2));
  for (int i = 0; i < 100 && stored_crl_number() != "2"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(stored_crl_number(), "2") << "the refresher did not fetch the newer CRL";
  revocation = revocation_of(who);
  EXPECT_EQ(revocation["status"], "revoked") << revocation.dump();
  EXPECT_NE(metrics().find(R"(smimed_revocation_fetches_total{kind="crl",result="ok"} 2)"),
            std::string::npos);
}

}  // namespace
}  // namespace smime::test
