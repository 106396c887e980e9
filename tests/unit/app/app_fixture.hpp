// The use cases (smime_app) on their real collaborators where those are cheap (SQLite store, API
// token store and the hash-chained audit log on one temp database file, the certificate service
// and the engine) and a fake where they are not: software keys instead of a token. No SoftHSM.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "smime/app/use_cases.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/sqlite/database.hpp"
#include "smime/store/api_token_store.hpp"
#include "support/fake_key_store.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/test_certs.hpp"

namespace smime::test {

class AppTest : public ::testing::Test {
 protected:
  AppTest();

  // The audit log as an administrator reads it, newest first.
  std::vector<audit::AuditEntry> entries(audit::AuditQuery query = {});
  audit::AuditEntry newest_entry();
  // From now on every insert into the audit log fails (as with a full disk, but only there):
  // a change that needs its entry must not happen.
  void refuse_audit_entries();
  // Imports through the use case; returns the stored fingerprint.
  std::string import_certificate(const X509* certificate);

  TempDir dir_;
  std::filesystem::path file_;
  std::shared_ptr<sqlite::Database> database_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::ApiTokenStore> tokens_;
  std::unique_ptr<audit::AuditLog> log_;
  FakeKeyStore keys_;
  std::unique_ptr<service::CertificateService> certificates_;
  std::unique_ptr<engine::Engine> engine_;
  bool token_reachable_ = true;
  int token_pings_ = 0;
  std::unique_ptr<app::UseCases> app_;
  const app::Caller caller_{"7"};  // an API token id
};

}  // namespace smime::test
