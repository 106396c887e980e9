#include "app_fixture.hpp"

#include "smime/common/error.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/test_keys.hpp"

namespace smime::test {

AppTest::AppTest() : file_(dir_.path() / "smime.db") {
  database_ = store::open_sqlite_database(file_);
  store_ = store::open_sqlite_store(database_);
  tokens_ = store::open_sqlite_api_token_store(database_);
  log_ = std::make_unique<audit::AuditLog>(database_);
  const auto keys = [this]() -> KeyStore& { return keys_; };
  certificates_ = std::make_unique<service::CertificateService>(*store_, keys);
  engine_ = std::make_unique<engine::Engine>(*store_, *certificates_, keys);
  app::Dependencies deps{*store_,
                         *tokens_,
                         *certificates_,
                         *engine_,
                         *log_,
                         *log_,
                         keys,
                         [](bool /*probe*/) {
                           pkcs11::TokenReport report;
                           report.description.label = "fake";
                           return report;
                         },
                         [this] {
                           ++token_pings_;
                           if (!token_reachable_) {
                             throw Error(ErrorCode::token_failure, "The token was removed");
                           }
                         }};
  app_ = std::make_unique<app::UseCases>(std::move(deps));
}

std::vector<audit::AuditEntry> AppTest::entries(audit::AuditQuery query) {
  return log_->list(query, store_.get());
}

audit::AuditEntry AppTest::newest_entry() {
  audit::AuditQuery query;
  query.limit = 1;
  auto newest = entries(query);
  if (newest.empty()) throw Error(ErrorCode::not_found, "The audit log is empty");
  return newest.front();
}

void AppTest::refuse_audit_entries() {
  auto db = sqlite::Connection::open(file_);
  db.exec(
      "CREATE TRIGGER refuse_audit_entries BEFORE INSERT ON audit_log "
      "BEGIN SELECT RAISE(ABORT, 'audit entries refused'); END;");
}

std::string AppTest::import_certificate(const X509* certificate) {
  const std::string text = pem(certificate);
  const auto bytes = as_bytes(text);
  app::CertificateImport request;
  request.input = bytes;
  auto report = app_->certificates.import_certificates(caller_, request);
  if (report.imported.size() != 1) {
    throw Error(ErrorCode::internal,
                "test certificate not imported: " +
                    (report.errors.empty() ? std::string("?") : report.errors.front().message));
  }
  return report.imported.front().record.sha256;
}

}  // namespace smime::test
