// A token that fails while it decrypts (the device errs in C_Decrypt or C_DeriveKey) is the
// node's fault, not the message's: incoming answers 503 and the helpdesk tries again. It was
// reported as a 200 with "bad_cms", as if the sender's message were broken. Once the token
// answers again, the same message decrypts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "store_check.hpp"
#include "support/faulty_module.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

struct DecryptFault {
  const char* algorithm;
  const char* function;  // where the token's decryption fails
};

class TokenDecryptFaultTest : public ServerTest,
                              public ::testing::WithParamInterface<DecryptFault> {
 protected:
  void configure(AppConfig& config, server::ServerSettings& settings) override {
    home();  // the SoftHSM token exists before the wrapper loads SoftHSM
    config.token.module = SMIME_TEST_FAULTY_MODULE;
    settings.tls_key = "file";  // the handshakes do not reach the token
  }
  void TearDown() override {
    control_.clear();
    ServerTest::TearDown();
    expect_store_intact(scratch_.path() / "home");
  }

  // A message the org encrypts to itself through the API.
  std::string encrypted_to_org() {
    const json request = {{"algorithm", GetParam().algorithm},
                          {"label", "org decrypt"},
                          {"emails", {"support@example.org"}},
                          {"self_signed", true}};
    HttpResult key =
        client().request("POST", "/api/v1/keys", request.dump(), auth("application/json"));
    EXPECT_EQ(key.status, 201) << key.body;
    const std::string mail =
        "From: support@example.org\r\nTo: support@example.org\r\nSubject: s\r\n\r\nsecret\r\n";
    HttpResult sent = client().request("POST", "/api/v1/messages/outgoing?sign=false&encrypt=true",
                                       mail, auth("message/rfc822"));
    EXPECT_EQ(sent.status, 200) << sent.body;
    return sent.body;  // a message/rfc822 request is answered with the message itself
  }

  FaultyModule control_;
};

TEST_P(TokenDecryptFaultTest, ADeviceErrorWhileDecryptingIs503AndTheRetryDecrypts) {
  if (std::string(GetParam().function) == "C_DeriveKey") {
    SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_ECDH1_DERIVE);
  }
  const std::string message = encrypted_to_org();
  ASSERT_FALSE(message.empty());
  const unsigned long before = control_.call_count(GetParam().function);
  // Every attempt fails (the token layer tries a failed call again on a fresh session).
  control_.inject_on(GetParam().function, CKR_DEVICE_ERROR, 1000);
  HttpResult failed =
      client().request("POST", "/api/v1/messages/incoming", message, auth("message/rfc822"));
  EXPECT_GT(control_.call_count(GetParam().function), before) << "the token was not asked";
  EXPECT_EQ(failed.status, 503) << failed.body;
  EXPECT_NE(failed.body.find("token"), std::string::npos) << failed.body;
  EXPECT_EQ(failed.body.find("bad_cms"), std::string::npos) << failed.body;

  control_.clear();
  std::map<std::string, std::string> headers = auth("message/rfc822");
  headers["Accept"] = "message/rfc822";
  HttpResult retried = client().request("POST", "/api/v1/messages/incoming", message, headers);
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_NE(retried.body.find("\r\n\r\nsecret\r\n"), std::string::npos) << retried.body;
}

INSTANTIATE_TEST_SUITE_P(Keys, TokenDecryptFaultTest,
                         ::testing::Values(DecryptFault{"rsa-2048", "C_Decrypt"},
                                           DecryptFault{"ec-p256", "C_DeriveKey"}),
                         [](const auto& info) {
                           return std::string(info.param.algorithm[0] == 'r' ? "Rsa" : "Ec");
                         });

}  // namespace
}  // namespace smime::test
