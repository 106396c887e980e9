// The real API route table over the application's use cases on a temp SQLite database (store,
// API tokens, audit log), the certificate service and engine with a fake key store, and a
// recording audit sink: smimed's routes as a pure function, without sockets or a token.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "smime/app/use_cases.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/server/api_routes.hpp"
#include "smime/server/router.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/fake_key_store.hpp"
#include "support/recording_audit_sink.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {

class ApiTest : public ::testing::Test {
 protected:
  // The router's bound and the incoming route's (as smimed derives it: 2 x + 1 MiB).
  static constexpr std::size_t kBodyLimit = 1 << 20;
  static constexpr std::size_t kIncomingBodyLimit = 2 * kBodyLimit + (1 << 20);

  ApiTest();

  server::Request request(std::string method, std::string target,
                          std::optional<store::ApiRole> role = store::ApiRole::admin,
                          std::string body = {}, std::string content_type = {});
  server::Response call(std::string method, std::string target,
                        std::optional<store::ApiRole> role = store::ApiRole::admin,
                        std::string body = {}, std::string content_type = {});
  nlohmann::json json_call(int expected_status, std::string method, std::string target,
                           std::string body = {}, std::string content_type = {});
  // Imports PEM through the API; returns the fingerprints.
  std::vector<std::string> import_pem(const std::string& pem);

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::ApiTokenStore> tokens_;
  std::unique_ptr<audit::AuditLog> log_;  // the read side (GET /api/v1/logs)
  FakeKeyStore keys_;
  std::unique_ptr<service::CertificateService> certificates_;
  std::unique_ptr<engine::Engine> engine_;
  RecordingAuditSink audit_;
  bool healthy_ = true;
  std::unique_ptr<app::UseCases> use_cases_;
  std::string metrics_text_ = "smime_up 1\n";
  std::unique_ptr<server::ApiContext> context_;
  std::unique_ptr<server::Router> router_;
};

}  // namespace smime::test
