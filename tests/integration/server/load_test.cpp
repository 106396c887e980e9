// 32 concurrent helpdesk clients against the real smimed: each signs and encrypts its own
// messages to the org key in the token, then has them decrypted and verified, and checks it
// got its own message back intact; afterwards every operation is in the audit log once and the
// hash chain verifies.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.hpp"
#include "smime/audit/audit_log.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

std::string unbase64(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) throw std::runtime_error("bad base64");
  out.resize(static_cast<std::size_t>(n));
  return out;
}

class LoadTest : public ServerTest {
 protected:
  void configure(AppConfig& /*config*/, server::ServerSettings& settings) override {
    settings.max_connections = 64;
  }
  void SetUp() override {
    ServerTest::SetUp();
    fingerprint_ = generate_org_key();
  }
  std::string fingerprint_;
};

TEST_F(LoadTest, ThirtyTwoClientsSignEncryptAndDecryptConcurrently) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_ECDH1_DERIVE);
  constexpr int kClients = 32;
  constexpr int kRounds = 3;
  std::atomic<int> correct{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      try {
        HttpsClient c(port_);
        for (int i = 0; i < kRounds; ++i) {
          const std::string marker = "client " + std::to_string(t) + " round " + std::to_string(i);
          const std::string id = "load-" + std::to_string(t) + "-" + std::to_string(i);
          const std::string mail =
              "From: support@example.org\r\nTo: support@example.org\r\nSubject: " + marker +
              "\r\nMessage-ID: <" + id + "@example.org>\r\nContent-Type: text/plain\r\n\r\n" +
              marker + "\r\n";
          HttpResult out = c.request("POST", "/api/v1/messages/outgoing?sign=true&encrypt=true",
                                     mail, auth("message/rfc822"));
          if (out.status != 200 || out.headers["x-smime-encrypted"] != "true") {
            failures[t] = "outgoing " + std::to_string(out.status) + " " + out.body;
            return;
          }
          HttpResult in =
              c.request("POST", "/api/v1/messages/incoming", out.body, auth("message/rfc822"));
          if (in.status != 200) {
            failures[t] = "incoming " + std::to_string(in.status) + " " + in.body;
            return;
          }
          json r = json::parse(in.body);
          const std::string plain = unbase64(r["message"].get<std::string>());
          if (!r["decrypted"].get<bool>() || r["signature"]["status"] != "valid" ||
              r["signature"]["signer"]["fingerprint"] != fingerprint_ ||
              plain.find(marker + "\r\n") == std::string::npos) {
            failures[t] = "wrong result for " + marker + ": " + r.dump();
            return;
          }
          ++correct;
        }
      } catch (const std::exception& e) {
        failures[t] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kClients; ++t) EXPECT_EQ(failures[t], "") << "client " << t;
  EXPECT_EQ(correct.load(), kClients * kRounds);

  // One outgoing and one incoming entry per round, all ok, chain intact.
  HttpsClient c = client();
  for (const char* direction : {"outgoing", "incoming"}) {
    HttpResult logs = c.request(
        "GET", std::string("/api/v1/logs?status=ok&limit=1&direction=") + direction, "", auth());
    ASSERT_EQ(logs.status, 200) << logs.body;
    EXPECT_EQ(json::parse(logs.body)["total"], kClients * kRounds) << direction;
  }
  audit::AuditLog log(appliance_->database_path());
  EXPECT_TRUE(log.verify().intact);
}

}  // namespace
}  // namespace smime::test
