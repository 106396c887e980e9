// The real API route table over a temp SQLite store, the certificate service, a fake key
// store and a recording audit sink: smimed's routes as a pure function, without sockets or
// a token.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "fake_key_store.hpp"
#include "smime/server/router.hpp"
#include "smime/server/services.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {

class RecordingAuditSink final : public audit::AuditSink {
 public:
  void record(const audit::AuditEvent& event) override {
    std::lock_guard lock(mutex_);
    if (fail_) throw Error(ErrorCode::io, "audit log unavailable");
    events_.push_back(event);
  }
  std::vector<audit::AuditEvent> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  void fail(bool on) { fail_ = on; }

 private:
  std::mutex mutex_;
  std::vector<audit::AuditEvent> events_;
  bool fail_ = false;
};

class ApiTest : public ::testing::Test {
 protected:
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
  FakeKeyStore keys_;
  std::unique_ptr<service::CertificateService> certificates_;
  RecordingAuditSink audit_;
  server::Services services_;
  bool healthy_ = true;
  std::unique_ptr<server::Router> router_;
};

}  // namespace smime::test
