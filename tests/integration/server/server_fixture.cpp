#include "server_fixture.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "support/test_certs.hpp"
#include "support/token_server.hpp"

namespace smime::test {

AppConfig test_appliance_config(const std::filesystem::path& home,
                                const std::filesystem::path& token_home) {
  AppConfig config = load_config(home, std::nullopt);
  config.token.module = test_module_path();
  config.token.label = kTestTokenLabel;
  config.token.serial.clear();
  config.token.pin = "file:" + (token_home / "user.pin").string();
  config.token.softhsm_conf = (token_home / "softhsm2.conf").string();
  return config;
}

server::ServerSettings test_server_settings(const AppConfig& config) {
  server::ServerSettings settings = server::load_server_settings(config);
  settings.port = 0;
  settings.body_limit = ServerTest::kBodyLimit;
  settings.worker_threads = 2;
  return settings;
}

void ServerTest::SetUp() {
  AppConfig config = test_appliance_config(scratch_.path() / "home", home());
  server::ServerSettings settings = test_server_settings(config);
  configure(config, settings);
  appliance_ = std::make_unique<server::Appliance>(std::move(config), std::move(settings));
  admin_secret_ =
      std::string(appliance_->api_tokens().create("admin", store::ApiRole::admin).secret.view());
  appliance_->start(/*handle_signals=*/false);
  port_ = appliance_->port();
  thread_ = std::thread([this] { appliance_->run(); });
}

void ServerTest::TearDown() {
  if (appliance_) appliance_->stop();
  if (thread_.joinable()) thread_.join();
  appliance_.reset();
}

std::map<std::string, std::string> ServerTest::auth(const std::string& content_type) const {
  std::map<std::string, std::string> h = {{"Authorization", "Bearer " + admin_secret_}};
  if (!content_type.empty()) h["Content-Type"] = content_type;
  return h;
}

std::string ServerTest::generate_org_key(const std::string& email) {
  const nlohmann::json request = {{"algorithm", "ec-p256"},
                                  {"label", "org " + email},
                                  {"emails", {email}},
                                  {"self_signed", true}};
  HttpResult generated =
      client().request("POST", "/api/v1/keys", request.dump(), auth("application/json"));
  if (generated.status != 201) {
    throw std::runtime_error("key generation failed: " + generated.body);
  }
  return nlohmann::json::parse(generated.body)["certificate_fingerprint"];
}

void ServerTest::trust(const X509* authority) {
  HttpResult imported = client().request("POST", "/api/v1/certificates?trust=true", pem(authority),
                                         auth("application/x-pem-file"));
  if (imported.status != 201) throw std::runtime_error("trust anchor import: " + imported.body);
}

nlohmann::json ServerTest::incoming(const std::string& message) {
  HttpResult r =
      client().request("POST", "/api/v1/messages/incoming", message, auth("message/rfc822"));
  EXPECT_EQ(r.status, 200) << r.body;
  return nlohmann::json::parse(r.body);
}

nlohmann::json ServerTest::preflight_to(const std::string& address) {
  const nlohmann::json request = {{"from", "support@example.org"}, {"to", {address}}};
  HttpResult r = client().request("POST", "/api/v1/messages/preflight", request.dump(),
                                  auth("application/json"));
  EXPECT_EQ(r.status, 200) << r.body;
  return nlohmann::json::parse(r.body);
}

nlohmann::json ServerTest::log_entries(const std::string& operation) {
  HttpResult r = client().request("GET", "/api/v1/logs?operation=" + operation, "", auth());
  EXPECT_EQ(r.status, 200) << r.body;
  return nlohmann::json::parse(r.body)["entries"];
}

}  // namespace smime::test
