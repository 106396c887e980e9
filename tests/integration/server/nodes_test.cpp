// Two smimed nodes on one PostgreSQL database and one token: what one node changes, the other
// uses on its next request (a certificate made on node A signs on node B; an API token
// revoked on A is refused by B), and both append to one intact audit chain. Behind HAProxy,
// a node killed under load loses no acknowledged request and rejoins when restarted.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "https_client.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/certs/certificate_info.hpp"
#include "smime/store/postgres_store.hpp"
#include "support/haproxy.hpp"
#include "support/postgres_server.hpp"
#include "support/smimed_process.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/test_certs.hpp"

namespace smime::test {
namespace {

std::string message_from(const std::string& from) {
  return "From: " + from + "\r\nTo: bob@example.net\r\nSubject: nodes\r\nMessage-ID: <n@x>\r\n" +
         "Content-Type: text/plain\r\n\r\nOne database, two nodes.\r\n";
}

HttpResult call(SmimedProcess& node, const std::string& secret, const std::string& method,
                const std::string& target, const std::string& body = {},
                const std::string& type = "application/json") {
  HttpsClient client(node.port());
  return client.request(method, target, body,
                        {{"Authorization", "Bearer " + secret}, {"Content-Type", type}});
}

class NodesTest : public SoftHsmTest {
 protected:
  std::string url_ = fresh_database_url();
};

TEST_F(NodesTest, WhatOneNodeChangesTheOtherUsesAtOnce) {
  SmimedProcess a(scratch_.path() / "a", home(), "worker_threads = 2\n", url_);
  SmimedProcess b(scratch_.path() / "b", home(), "worker_threads = 2\n", url_);
  a.start();
  b.start();

  // An org key made through node A: its certificate is in the shared store.
  const nlohmann::json key = {{"algorithm", "ec-p256"},
                              {"label", "nodes"},
                              {"emails", {"nodes@example.org"}},
                              {"self_signed", true}};
  HttpResult made = call(a, a.admin_secret(), "POST", "/api/v1/keys", key.dump());
  ASSERT_EQ(made.status, 201) << made.body;
  HttpResult signed_on_b =
      call(b, b.admin_secret(), "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false",
           message_from("nodes@example.org"), "message/rfc822");
  EXPECT_EQ(signed_on_b.status, 200) << signed_on_b.body;

  // An API token made on A works on B until A revokes it.
  HttpResult created = call(a, a.admin_secret(), "POST", "/api/v1/api-tokens",
                            nlohmann::json{{"name", "helpdesk"}, {"role", "operator"}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const auto token = nlohmann::json::parse(created.body);
  const std::string secret = token["secret"];
  EXPECT_EQ(call(b, secret, "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false",
                 message_from("nodes@example.org"), "message/rfc822")
                .status,
            200);
  const std::string id = std::to_string(token["id"].get<std::int64_t>());
  ASSERT_EQ(call(a, a.admin_secret(), "DELETE", "/api/v1/api-tokens/" + id).status, 204);
  EXPECT_EQ(call(b, secret, "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false",
                 message_from("nodes@example.org"), "message/rfc822")
                .status,
            401)
      << "revoked on A, refused by B";

  // Both nodes' entries are in one chain.
  audit::AuditLog log(store::open_postgres_database(url_, 1));
  const audit::VerifyReport report = log.verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_GE(report.entries, 5) << "key, two signatures, token created and revoked";
}

// Can node's preflight encrypt to alice? Its reason when not.
std::string encrypt_preflight(SmimedProcess& node) {
  const HttpResult r =
      call(node, node.admin_secret(), "POST", "/api/v1/messages/preflight",
           nlohmann::json{{"from", "nodes@example.org"}, {"to", {"alice@example.com"}}}.dump());
  if (r.status != 200) return "HTTP " + std::to_string(r.status) + ": " + r.body;
  const auto body = nlohmann::json::parse(r.body);
  return body["encrypt"]["possible"].get<bool>() ? "possible"
                                                 : body["encrypt"]["reason"].get<std::string>();
}

TEST_F(NodesTest, ACertificateImportedRevokedOrDeletedOnOneNodeIsSoUsedByTheOther) {
  SmimedProcess a(scratch_.path() / "a", home(), "worker_threads = 2\n", url_);
  SmimedProcess b(scratch_.path() / "b", home(), "worker_threads = 2\n", url_);
  a.start();
  b.start();
  // The sender's own key: a message is also encrypted to its sender.
  const nlohmann::json key = {{"algorithm", "ec-p256"},
                              {"label", "sender"},
                              {"emails", {"nodes@example.org"}},
                              {"self_signed", true}};
  ASSERT_EQ(call(a, a.admin_secret(), "POST", "/api/v1/keys", key.dump()).status, 201);
  const IssuedCertificate ca = issue_certificate(CertificateSpec::authority("Nodes CA"));
  const IssuedCertificate alice =
      issue_certificate(CertificateSpec::smime("alice@example.com").issued_by(ca));
  EXPECT_NE(encrypt_preflight(b), "possible") << "nothing imported yet";

  HttpResult imported =
      call(a, a.admin_secret(), "POST", "/api/v1/certificates",
           pem_bundle({alice.cert.get(), ca.cert.get()}), "application/x-pem-file");
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(encrypt_preflight(b), "possible") << "imported on a";

  const std::vector<unsigned char> crl = issue_crl(ca, {{alice.cert.get(), 1}}, 30, true);
  HttpResult revoked = call(a, a.admin_secret(), "POST", "/api/v1/crls",
                            std::string(crl.begin(), crl.end()), "application/x-pem-file");
  ASSERT_LT(revoked.status, 300) << revoked.body;
  const std::string after_crl = encrypt_preflight(b);
  EXPECT_NE(after_crl, "possible") << "revoked by a CRL imported on a";
  EXPECT_NE(after_crl.find("revoked"), std::string::npos) << after_crl;

  const std::string fingerprint = certs::sha256_fingerprint(alice.cert.get());
  ASSERT_EQ(call(a, a.admin_secret(), "DELETE", "/api/v1/certificates/" + fingerprint).status, 204);
  EXPECT_EQ(encrypt_preflight(b), "The certificate for alice@example.com was not found")
      << "deleted on a";
}

// Clients sending signing requests through the balancer, each on a keep-alive connection
// that it opens again when it breaks. Remembers the Message-ID of every acknowledged (200)
// request.
class BalancedLoad {
 public:
  BalancedLoad(unsigned short port, std::string secret) : port_(port), secret_(std::move(secret)) {}
  ~BalancedLoad() { stop(); }

  void start(int clients) {
    for (int c = 0; c < clients; ++c) threads_.emplace_back([this, c] { run(c); });
  }
  void stop() {
    stopping_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  std::size_t acknowledged() const {
    std::lock_guard lock(mutex_);
    return acknowledged_.size();
  }
  std::vector<std::string> acknowledged_ids() const {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }
  int failed() const { return failed_; }
  // Waits until `more` further requests were acknowledged; false after 60 s.
  bool wait_for_more(std::size_t more) const {
    const std::size_t target = acknowledged() + more;
    for (int i = 0; i < 600 && acknowledged() < target; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return acknowledged() >= target;
  }

 private:
  static constexpr int kMaxRequestsPerClient = 2000;  // bounded, whatever happens

  void run(int client_number) {
    std::unique_ptr<HttpsClient> client;
    for (int n = 0; n < kMaxRequestsPerClient && !stopping_; ++n) {
      const std::string id = "<load-" + std::to_string(client_number) + "-" + std::to_string(n) +
                             "@nodes.example.org>";
      const std::string message =
          "From: nodes@example.org\r\nTo: bob@example.net\r\n"
          "Subject: load\r\nMessage-ID: " +
          id + "\r\nContent-Type: text/plain\r\n\r\nBalanced.\r\n";
      try {
        if (!client)
          client = std::make_unique<HttpsClient>(port_, ClientOptions(TLS1_2_VERSION, 0, {}, 20));
        const HttpResult result = client->request(
            "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false", message,
            {{"Authorization", "Bearer " + secret_}, {"Content-Type", "message/rfc822"}});
        if (result.status == 200) {
          std::lock_guard lock(mutex_);
          acknowledged_.push_back(id);
        } else {
          ++failed_;
        }
        if (!result.keep_alive) client.reset();
      } catch (const std::exception&) {
        ++failed_;  // the node went away under this connection: open another
        client.reset();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  unsigned short port_;
  std::string secret_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> failed_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> acknowledged_;
  std::vector<std::thread> threads_;
};

std::set<std::string> audited_message_ids(const std::string& url) {
  audit::AuditLog log(store::open_postgres_database(url, 1));
  std::set<std::string> ids;
  audit::AuditQuery query;
  query.limit = audit::kMaxListLimit;
  for (;; query.offset += query.limit) {
    const auto entries = log.list(query);
    for (const auto& entry : entries) {
      if (entry.event.status == audit::Status::ok) ids.insert(entry.event.message_id);
    }
    if (entries.size() < static_cast<std::size_t>(query.limit)) return ids;
  }
}

TEST_F(NodesTest, BehindHaproxyANodeKilledUnderLoadLosesNoAcknowledgedRequest) {
  SmimedProcess a(scratch_.path() / "a", home(), "worker_threads = 2\n", url_);
  SmimedProcess b(scratch_.path() / "b", home(), "worker_threads = 2\n", url_);
  a.start();
  b.start();
  const nlohmann::json key = {{"algorithm", "ec-p256"},
                              {"label", "balanced"},
                              {"emails", {"nodes@example.org"}},
                              {"self_signed", true}};
  ASSERT_EQ(call(a, a.admin_secret(), "POST", "/api/v1/keys", key.dump()).status, 201);

  Haproxy balancer(scratch_.path() / "haproxy", {{"a", a.port()}, {"b", b.port()}});
  balancer.start();
  ASSERT_TRUE(balancer.wait_for_status("a", "UP", 10'000));
  ASSERT_TRUE(balancer.wait_for_status("b", "UP", 10'000));

  BalancedLoad load(balancer.port(), a.admin_secret());
  load.start(4);
  ASSERT_TRUE(load.wait_for_more(40)) << "no load through the balancer";
  const long long a_sessions = balancer.stats()["a"].sessions;
  EXPECT_GT(a_sessions, 0) << "the balancer sent node a nothing";

  a.signal(SIGKILL);  // mid-run: requests are in flight on a
  ASSERT_EQ(a.wait_exit(std::chrono::seconds(10)), 128 + SIGKILL);
  EXPECT_TRUE(balancer.wait_for_status("a", "DOWN", 10'000)) << "/healthz of a dead node";
  EXPECT_TRUE(load.wait_for_more(40)) << "node b stopped answering after a was killed";
  load.stop();

  // Restarted on its port, a passes its health checks again and is given connections.
  a.start();
  ASSERT_TRUE(balancer.wait_for_status("a", "UP", 20'000)) << a.stderr_text();
  for (int i = 0; i < 6; ++i) {
    HttpsClient client(balancer.port());
    EXPECT_EQ(client.request("GET", "/healthz").status, 200);
  }
  EXPECT_GT(balancer.stats()["a"].sessions, a_sessions) << "the restarted node got no traffic";

  // Every acknowledged request has its entry, whichever node answered; one intact chain.
  const std::set<std::string> audited = audited_message_ids(url_);
  const std::vector<std::string> acknowledged = load.acknowledged_ids();
  std::size_t missing = 0;
  for (const std::string& id : acknowledged) {
    const std::string bare = id.substr(1, id.size() - 2);
    if (audited.count(id) == 0 && audited.count(bare) == 0) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged requests";
  audit::AuditLog log(store::open_postgres_database(url_, 1));
  const audit::VerifyReport report = log.verify();
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_GE(report.entries, static_cast<std::int64_t>(acknowledged.size()));
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("failed_while_a_died", load.failed());
}

}  // namespace
}  // namespace smime::test
