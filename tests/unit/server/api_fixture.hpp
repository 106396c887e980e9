// The real API route table over the application's use cases on a temp SQLite database (store,
// API tokens, audit log), the certificate service and engine with a fake key store, and a
// recording audit sink: smimed's routes as a pure function, without sockets or a token.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "support/fake_key_store.hpp"
#include "smime/app/use_cases.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/server/api_routes.hpp"
#include "smime/server/router.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {

// Records in memory; record_with() runs the change in a transaction of `store` (when given),
// so that a failing record (fail(true)) rolls the change back as the real log does.
class RecordingAuditSink final : public audit::AuditSink {
 public:
  explicit RecordingAuditSink(store::Store* store = nullptr) : store_(store) {}
  void set_store(store::Store* store) { store_ = store; }

  void record(const audit::AuditEvent& event) override {
    std::lock_guard lock(mutex_);
    if (fail_) throw Error(ErrorCode::storage_failure, "audit log unavailable");
    events_.push_back(event);
  }
  void record_with(audit::AuditEvent& event, const Change& change) override {
    const auto apply = [&] {
      bool written = false;
      const auto write = [&] {
        if (!written) record(event);
        written = true;
      };
      change(write);
      write();
    };
    if (store_ != nullptr) {
      store_->in_transaction(apply);
    } else {
      apply();
    }
  }
  std::vector<audit::AuditEvent> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  void fail(bool on) { fail_ = on; }

 private:
  store::Store* store_;
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
