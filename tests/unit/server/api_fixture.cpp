#include "api_fixture.hpp"

namespace smime::test {

ApiTest::ApiTest() {
  const auto db = dir_.path() / "smime.db";
  store_ = store::open_sqlite_store(db);
  tokens_ = store::open_sqlite_api_token_store(db);
  certificates_ = std::make_unique<service::CertificateService>(*store_, keys_);
  services_.store = store_.get();
  services_.certificates = certificates_.get();
  services_.keys = [this]() -> KeyStore& { return keys_; };
  services_.token_status = [] { return nlohmann::json{{"token", {{"label", "fake"}}}}; };
  services_.health = [this] {
    return std::vector<server::HealthCheck>{{"token", healthy_, healthy_ ? "ok" : "removed"},
                                            {"database", true, "ok"}};
  };
  services_.api_tokens = tokens_.get();
  services_.audit = &audit_;
  router_ = std::make_unique<server::Router>(server::make_api_routes(services_), 1 << 20);
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
