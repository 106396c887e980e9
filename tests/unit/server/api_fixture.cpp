#include "api_fixture.hpp"

#include "smime/store/sqlite_store.hpp"

namespace smime::test {

ApiTest::ApiTest() {
  const auto database = store::open_sqlite_database(dir_.path() / "smime.db");
  store_ = store::open_sqlite_store(database);
  tokens_ = store::open_sqlite_api_token_store(database);
  log_ = std::make_unique<audit::AuditLog>(database);
  const auto keys = [this]() -> KeyStore& { return keys_; };
  certificates_ = std::make_unique<service::CertificateService>(*store_, keys);
  engine_ = std::make_unique<engine::Engine>(*store_, *certificates_, keys);
  audit_.set_store(store_.get());
  app::Dependencies deps{*store_,
                         *tokens_,
                         *certificates_,
                         *engine_,
                         audit_,
                         *log_,
                         keys,
                         [](bool /*probe*/) {
                           pkcs11::TokenReport report;
                           report.description.label = "fake";
                           return report;
                         },
                         [this] {
                           if (!healthy_) throw Error(ErrorCode::token_failure, "token removed");
                         }};
  use_cases_ = std::make_unique<app::UseCases>(std::move(deps));
  context_ = std::make_unique<server::ApiContext>(
      server::ApiContext{*use_cases_, [this] { return metrics_text_; }, kIncomingBodyLimit});
  router_ = std::make_unique<server::Router>(server::make_api_routes(*context_),
                                             server::BodyLimit{kBodyLimit, "body_limit"});
}

server::Request ApiTest::request(std::string method, std::string target,
                                 std::optional<store::ApiRole> role, std::string body,
                                 std::string content_type) {
  server::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  if (!content_type.empty()) r.headers.add("Content-Type", content_type);
  if (role) {
    r.principal = server::Principal{"42", "test", *role};
    r.credentials_given = true;
  }
  return r;
}

server::Response ApiTest::call(std::string method, std::string target,
                               std::optional<store::ApiRole> role, std::string body,
                               std::string content_type) {
  return router_->handle(request(std::move(method), std::move(target), role, std::move(body),
                                 std::move(content_type)));
}

nlohmann::json ApiTest::json_call(int expected_status, std::string method, std::string target,
                                  std::string body, std::string content_type) {
  server::Response r = call(std::move(method), std::move(target), store::ApiRole::admin,
                            std::move(body), std::move(content_type));
  EXPECT_EQ(r.status, expected_status) << r.body;
  if (r.body.empty()) return nullptr;
  return nlohmann::json::parse(r.body);
}

std::vector<std::string> ApiTest::import_pem(const std::string& pem) {
  auto result = json_call(201, "POST", "/api/v1/certificates", pem, "application/x-pem-file");
  std::vector<std::string> fps;
  for (const auto& i : result["imported"]) fps.push_back(i["fingerprint"]);
  return fps;
}

}  // namespace smime::test
