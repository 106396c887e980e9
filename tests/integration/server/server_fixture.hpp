// smimed in-process on 127.0.0.1 with an ephemeral port, on the test's SoftHSM2 token (the
// TLS key is generated in it), with an admin API token.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "https_client.hpp"
#include "smime/server/appliance.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {

// The configuration of a home directory whose token is the test token.
AppConfig test_appliance_config(const std::filesystem::path& home,
                                const std::filesystem::path& token_home);
// Its server settings: an ephemeral port, kBodyLimit and two workers.
server::ServerSettings test_server_settings(const AppConfig& config);

class ServerTest : public SoftHsmTest {
 public:
  static constexpr std::size_t kBodyLimit = 64 * 1024;

 protected:
  void SetUp() override;
  void TearDown() override;
  // Changes to the configuration and the server settings before the server starts.
  virtual void configure(AppConfig& /*config*/, server::ServerSettings& /*settings*/) {}

  HttpsClient client(ClientOptions options = {}) const { return HttpsClient(port_, options); }
  std::map<std::string, std::string> auth(const std::string& content_type = {}) const;
  // An EC P-256 org key in the token with a self-signed certificate for `email`, made
  // through the API as an admin would; returns the certificate's fingerprint.
  std::string generate_org_key(const std::string& email = "support@example.org");
  // Imports `authority` through the API as a trust anchor (throws unless it is stored).
  void trust(const X509* authority);
  // POST /api/v1/messages/incoming (expects 200) and its JSON result.
  nlohmann::json incoming(const std::string& message);
  // POST /api/v1/messages/preflight from support@example.org to `address` (expects 200).
  nlohmann::json preflight_to(const std::string& address);
  // The audit log's entries of one operation (GET /api/v1/logs?operation=...).
  nlohmann::json log_entries(const std::string& operation);

  std::unique_ptr<server::Appliance> appliance_;
  std::thread thread_;
  unsigned short port_ = 0;
  std::string admin_secret_;
};

}  // namespace smime::test
