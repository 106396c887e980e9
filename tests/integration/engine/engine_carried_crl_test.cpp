// CRLs whose issuer is an intermediate CA the message carried, not stored (issue 16 item 3:
// a CRL is accepted when its issuer validates to an anchor, "stored or carried in a message"):
// fetched from the leaf's distribution point (a real HTTP server on loopback) it is checked
// against the intermediate of the validated chain, used, stored keyed by that intermediate's
// fingerprint and refreshed; carried in the message itself it is used by the CRL pass.
#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "smime/app/http_client.hpp"
#include "smime/app/revocation_events.hpp"
#include "smime/certs/certificate_info.hpp"
#include "smime/certs/crl.hpp"
#include "smime/common/error.hpp"
#include "support/recording_audit_sink.hpp"
#include "support/revocation_servers.hpp"

namespace smime::test {
namespace {

using engine::SignatureStatus;

class CarriedIssuerCrlTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    crl_server_ = std::make_unique<LocalHttpServer>(scratch_.path() / "crl-server");
    engine::RevocationSettings s;
    s.limits.timeout = std::chrono::milliseconds(3000);
    s.limits.max_body = 256 * 1024;
    s.refresh_margin = std::chrono::hours(48);
    engine_->enable_online_revocation(app::make_http_client(), s,
                                      app::audit_revocation_events(audit_));
    CertificateSpec spec = CertificateSpec::authority("Carried Issuing CA");
    spec.issued_by(ca_);
    issuing_ = issue_certificate(spec);
    // The anchor's own CRL: the intermediate is not revoked.
    certificates_->import_crl(issue_crl(ca_, {}, 30, true));
  }

  // alice under the carried intermediate, her distribution point on the local server.
  IssuedCertificate alice() {
    CertificateSpec spec = CertificateSpec::smime("alice@example.com");
    spec.crl_urls = {crl_server_->url("issuing.crl")};
    spec.issued_by(issuing_);
    return issue_certificate(spec);
  }

  engine::IncomingResult verify(const IssuedCertificate& who,
                                const std::vector<std::vector<unsigned char>>& crls = {}) {
    return engine_->incoming(
        signed_carrying(who, {issuing_.cert.get()}, crls,
                        message({.from = "alice@example.com", .to = {"support@example.org"}})));
  }

  static const engine::SignatureCheck& revocation(const engine::IncomingResult& in) {
    if (in.signatures.empty()) throw Error(ErrorCode::internal, "test: no signature layer");
    return in.signatures[0].checks.revocation;
  }

  std::size_t audited(const std::string& operation) {
    std::size_t n = 0;
    for (const auto& e : audit_.events()) n += e.operation == operation ? 1 : 0;
    return n;
  }

  // The stored CRL of the carried intermediate, if any.
  std::optional<store::CrlRecord> stored_crl() {
    for (const auto& crl : store_->list_crls()) {
      if (crl.issuer == "CN=Carried Issuing CA") return crl;
    }
    return std::nullopt;
  }

  RecordingAuditSink audit_;
  std::unique_ptr<LocalHttpServer> crl_server_;
  IssuedCertificate issuing_;
};

TEST_F(CarriedIssuerCrlTest, AFetchedCrlOfACarriedIntermediateRevokesTheLeafAndIsStored) {
  auto who = alice();
  crl_server_->put("issuing.crl", issue_crl(issuing_, {{who.cert.get(), 1}}, 7, false));
  auto in = verify(who);
  EXPECT_EQ(in.signature, SignatureStatus::revoked) << in.signature_reason;
  EXPECT_EQ(revocation(in).status, "revoked") << revocation(in).reason;
  EXPECT_EQ(revocation(in).source, "crl");
  EXPECT_EQ(revocation(in).origin, "fetched");
  EXPECT_EQ(revocation(in).certificate, "CN=alice@example.com");
  EXPECT_EQ(audited("crl.fetched"), 1u);
  EXPECT_EQ(audited("crl.fetch_failed"), 0u);

  // Stored keyed by the intermediate's fingerprint; the intermediate itself is not stored.
  const auto crl = stored_crl();
  ASSERT_TRUE(crl.has_value());
  const std::string fingerprint = certs::sha256_fingerprint(issuing_.cert.get());
  EXPECT_EQ(crl->issuer_sha256, fingerprint);
  store::CertificateQuery query;
  query.fingerprint_prefix = fingerprint;
  EXPECT_TRUE(store_->find_certificates(query).empty());

  // The next message finds the stored CRL: nothing is fetched again.
  crl_server_->stop();
  auto again = verify(who);
  EXPECT_EQ(again.signature, SignatureStatus::revoked) << again.signature_reason;
  EXPECT_EQ(engine_->revocation_counts().crl_ok, 1u);
  EXPECT_EQ(engine_->revocation_counts().crl_failed, 0u);
}

TEST_F(CarriedIssuerCrlTest, AFetchedCrlOfACarriedIntermediateMakesTheChainGood) {
  auto who = alice();
  crl_server_->put("issuing.crl", issue_crl(issuing_, {}, 7, false));
  auto in = verify(who);
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  EXPECT_EQ(revocation(in).status, "good") << revocation(in).reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_TRUE(in.signatures[0].warnings.empty());
}

TEST_F(CarriedIssuerCrlTest, ACrlSignedByAnotherKeyOfTheSameNameIsRefused) {
  auto forger = issue_certificate(CertificateSpec::authority("Carried Issuing CA"));
  auto who = alice();
  crl_server_->put("issuing.crl", issue_crl(forger, {}, 7, false));
  auto in = verify(who);
  EXPECT_EQ(revocation(in).status, "unknown");
  EXPECT_NE(revocation(in).reason.find("signature does not verify"), std::string::npos)
      << revocation(in).reason;
  EXPECT_EQ(audited("crl.fetch_failed"), 1u);
  EXPECT_FALSE(stored_crl().has_value());
}

TEST_F(CarriedIssuerCrlTest, AnExpiredFetchedCrlIsRefused) {
  auto who = alice();
  crl_server_->put("issuing.crl", issue_crl(issuing_, {}, -1, false));
  auto in = verify(who);
  EXPECT_EQ(revocation(in).status, "unknown");
  EXPECT_NE(revocation(in).reason.find("nextUpdate has passed"), std::string::npos)
      << revocation(in).reason;
  EXPECT_FALSE(stored_crl().has_value());
}

TEST_F(CarriedIssuerCrlTest, TheRefresherReplacesTheCrlOfACarriedIntermediate) {
  auto who = alice();
  crl_server_->put("issuing.crl", issue_crl(issuing_, {}, 1, false, 1, 120));
  EXPECT_EQ(revocation(verify(who)).status, "good");
  ASSERT_TRUE(stored_crl().has_value());
  EXPECT_EQ(stored_crl()->crl_number, "1");

  // No message at hand: the refresher checks the new CRL against the remembered chain.
  crl_server_->put("issuing.crl", issue_crl(issuing_, {{who.cert.get(), 1}}, 1, false, 2));
  EXPECT_EQ(engine_->refresh_crls(), 1u);
  ASSERT_TRUE(stored_crl().has_value());
  EXPECT_EQ(stored_crl()->crl_number, "2");
  EXPECT_EQ(verify(who).signature, SignatureStatus::revoked);
}

// Without online revocation: the CRL the message carries, signed by the intermediate it
// carries, is checked by the CRL pass against that intermediate.
TEST_F(CarriedIssuerCrlTest, ACrlInTheMessageOfACarriedIntermediateCounts) {
  engine::Engine offline(
      *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, engine::Policy{});
  CertificateSpec spec = CertificateSpec::smime("alice@example.com");
  spec.issued_by(issuing_);
  auto who = issue_certificate(spec);
  const std::string from_alice =
      message({.from = "alice@example.com", .to = {"support@example.org"}});

  auto revoked = offline.incoming(
      signed_carrying(who, {issuing_.cert.get()},
                      {issue_crl(issuing_, {{who.cert.get(), 1}}, 7, false)}, from_alice));
  EXPECT_EQ(revoked.signature, SignatureStatus::revoked) << revoked.signature_reason;
  EXPECT_EQ(revocation(revoked).origin, "message");

  auto good = offline.incoming(
      signed_carrying(who, {issuing_.cert.get()}, {issue_crl(issuing_, {}, 7, false)}, from_alice));
  EXPECT_EQ(good.signature, SignatureStatus::valid) << good.signature_reason;
  EXPECT_EQ(revocation(good).status, "good") << revocation(good).reason;

  // One signed by another key of the same name does not count.
  auto forger = issue_certificate(CertificateSpec::authority("Carried Issuing CA"));
  auto forged = offline.incoming(
      signed_carrying(who, {issuing_.cert.get()}, {issue_crl(forger, {}, 7, false)}, from_alice));
  EXPECT_EQ(revocation(forged).status, "unknown") << revocation(forged).reason;
  EXPECT_TRUE(store_->list_crls().size() == 1u);  // only the anchor's; nothing from messages
}

}  // namespace
}  // namespace smime::test
