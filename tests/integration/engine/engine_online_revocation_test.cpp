// Online revocation (issue 16 items 3 and 4) against real servers on loopback, started and
// stopped by each test: CRLs fetched over HTTP from the certificates' distribution points
// (python's http.server), validated like imported ones, cached in the store and refreshed
// before their nextUpdate; OCSP asked first where the AIA names a responder (`openssl ocsp`),
// with the nonce and the responder's signature checked, falling back to CRLs. The engine uses
// the appliance's real HTTP client and the real audit listener (into a recording sink).
#include <gtest/gtest.h>

#include <algorithm>

#include "engine_fixture.hpp"
#include "smime/app/http_client.hpp"
#include "smime/app/revocation_events.hpp"
#include "smime/common/error.hpp"
#include "support/haproxy.hpp"
#include "support/recording_audit_sink.hpp"
#include "support/revocation_servers.hpp"

namespace smime::test {
namespace {

using engine::SignatureStatus;

class OnlineRevocationTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    crl_server_ = std::make_unique<LocalHttpServer>(scratch_.path() / "crl-server");
    enable(*engine_);
  }

  engine::RevocationSettings settings() const {
    engine::RevocationSettings s;
    s.limits.timeout = std::chrono::milliseconds(3000);
    s.limits.max_body = 256 * 1024;
    s.refresh_margin = std::chrono::hours(48);
    return s;
  }

  void enable(engine::Engine& engine) {
    engine.enable_online_revocation(app::make_http_client(), settings(),
                                    app::audit_revocation_events(audit_));
  }

  // A leaf of ca_ for alice, with the given distribution points and OCSP responders; not stored.
  Identity alice(std::vector<std::string> crl_urls, std::vector<std::string> ocsp_urls = {}) {
    CertificateSpec spec = CertificateSpec::smime("alice@example.com");
    spec.crl_urls = std::move(crl_urls);
    spec.ocsp_urls = std::move(ocsp_urls);
    spec.issued_by(ca_);
    return Identity{issue_certificate(spec), "alice@example.com", ""};
  }

  engine::IncomingResult verify(const Identity& who, engine::Engine* engine = nullptr) {
    const std::string wire =
        signed_by(who, message({.from = "alice@example.com", .to = {"support@example.org"}}));
    return (engine != nullptr ? *engine : *engine_).incoming(wire);
  }

  // A responder certificate delegated by ca_ (id-kp-OCSPSigning).
  IssuedCertificate delegated_responder() {
    CertificateSpec spec = CertificateSpec::smime("ocsp@example.org", "ec-p256");
    spec.common_name = "Example Org OCSP Responder";
    spec.emails.clear();
    spec.key_usages = {"digitalSignature"};
    spec.extended_key_usages = {"OCSPSigning"};
    spec.issued_by(ca_);
    return issue_certificate(spec);
  }

  std::vector<audit::AuditEvent> audited(const std::string& operation) {
    std::vector<audit::AuditEvent> out;
    for (const auto& e : audit_.events()) {
      if (e.operation == operation) out.push_back(e);
    }
    return out;
  }

  static const engine::SignatureCheck& revocation(const engine::IncomingResult& in) {
    if (in.signatures.empty()) throw Error(ErrorCode::internal, "test: no signature layer");
    return in.signatures[0].checks.revocation;
  }

  static bool has_warning(const engine::IncomingResult& in, const std::string& warning) {
    const auto& w = in.signatures.at(0).warnings;
    return std::find(w.begin(), w.end(), warning) != w.end();
  }

  RecordingAuditSink audit_;
  std::unique_ptr<LocalHttpServer> crl_server_;
};

TEST_F(OnlineRevocationTest, ARevokedLeafIsFoundThroughTheFetchedCrl) {
  Identity who = alice({crl_server_->url("ca.crl")});
  crl_server_->put("ca.crl", issue_crl(ca_, {{who.issued.cert.get(), 1}}, 7, false));
  auto in = verify(who);
  EXPECT_EQ(in.signature, SignatureStatus::revoked) << in.signature_reason;
  EXPECT_EQ(revocation(in).status, "revoked");
  EXPECT_EQ(revocation(in).source, "crl");
  EXPECT_EQ(revocation(in).origin, "fetched");
  EXPECT_NE(revocation(in).reason.find("keyCompromise"), std::string::npos)
      << revocation(in).reason;
  // Cached in the store, as an imported CRL would be.
  const auto crls = store_->list_crls();
  ASSERT_EQ(crls.size(), 1u);
  EXPECT_EQ(crls[0].issuer, "CN=Example Org Test CA");
  EXPECT_EQ(audited("crl.fetched").size(), 1u);
  EXPECT_EQ(engine_->revocation_counts().crl_ok, 1u);

  // The next verification finds the stored CRL: nothing is fetched again.
  crl_server_->stop();
  auto again = verify(who);
  EXPECT_EQ(again.signature, SignatureStatus::revoked) << again.signature_reason;
  EXPECT_EQ(revocation(again).origin, "fetched");
  EXPECT_EQ(engine_->revocation_counts().crl_ok, 1u);
  EXPECT_EQ(engine_->revocation_counts().crl_failed, 0u);
}

TEST_F(OnlineRevocationTest, AGoodLeafIsGoodThroughTheFetchedCrl) {
  Identity who = alice({crl_server_->url("ca.crl")});
  crl_server_->put("ca.crl", issue_crl(ca_, {}, 7, true));
  auto in = verify(who);
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  EXPECT_EQ(revocation(in).status, "good") << revocation(in).reason;
  EXPECT_EQ(revocation(in).source, "crl");
  EXPECT_EQ(revocation(in).origin, "fetched");
  EXPECT_FALSE(has_warning(in, "revocation_unknown"));
}

// A failed fetch: revocation unknown (valid with a warning under soft, invalid under hard), the
// failure audited with its URL and counted; the URL is not asked again while it backs off.
void expect_failed_fetch(const std::string& url, const std::string& why,
                         const engine::IncomingResult& in,
                         const std::vector<audit::AuditEvent>& failures,
                         const engine::RevocationCounts& counts) {
  // (Each test verifies first, then reads the audit entries and counters.)
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  const auto& r = in.signatures.at(0).checks.revocation;
  EXPECT_EQ(r.status, "unknown");
  EXPECT_NE(r.reason.find(url), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find(why), std::string::npos) << r.reason;
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].status, audit::Status::failed);
  EXPECT_EQ(failures[0].actor, "revocation");
  EXPECT_NE(failures[0].detail.find(url), std::string::npos) << failures[0].detail;
  EXPECT_NE(failures[0].detail.find(why), std::string::npos) << failures[0].detail;
  EXPECT_EQ(counts.crl_failed, 1u);
  EXPECT_EQ(counts.crl_ok, 0u);
}

TEST_F(OnlineRevocationTest, ADistributionPointThatIsDownGivesUnknownAndIsAudited) {
  const std::string url = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/ca.crl";
  Identity who = alice({url});
  auto in = verify(who);
  expect_failed_fetch(url, "refused", in, audited("crl.fetch_failed"),
                      engine_->revocation_counts());
  EXPECT_TRUE(has_warning(in, "revocation_unknown"));

  // Backing off: the next verification does not wait for the URL again.
  auto again = verify(who);
  EXPECT_EQ(revocation(again).status, "unknown");
  EXPECT_NE(revocation(again).reason.find("not fetched now"), std::string::npos)
      << revocation(again).reason;
  EXPECT_EQ(engine_->revocation_counts().crl_failed, 1u);
  EXPECT_EQ(audited("crl.fetch_failed").size(), 1u);
}

TEST_F(OnlineRevocationTest, AMissingCrlGivesUnknownAndIsAudited) {
  const std::string url = crl_server_->url("missing.crl");
  Identity who = alice({url});
  const auto in = verify(who);
  expect_failed_fetch(url, "HTTP status 404", in, audited("crl.fetch_failed"),
                      engine_->revocation_counts());
}

TEST_F(OnlineRevocationTest, GarbageAtTheDistributionPointGivesUnknownAndIsAudited) {
  const std::string url = crl_server_->url("garbage.crl");
  crl_server_->put("garbage.crl", std::vector<unsigned char>(4000, 0x5a));
  Identity who = alice({url});
  const auto in = verify(who);
  expect_failed_fetch(url, "not a CRL", in, audited("crl.fetch_failed"),
                      engine_->revocation_counts());
  EXPECT_TRUE(store_->list_crls().empty());
}

TEST_F(OnlineRevocationTest, AnOversizedCrlIsNotReadAndIsAudited) {
  const std::string url = crl_server_->url("big.crl");
  crl_server_->put("big.crl", std::vector<unsigned char>(300 * 1024, 0x30));  // over 256 KiB
  Identity who = alice({url});
  const auto in = verify(who);
  expect_failed_fetch(url, "larger than 262144 bytes", in, audited("crl.fetch_failed"),
                      engine_->revocation_counts());
}

TEST_F(OnlineRevocationTest, ACrlOfAnotherCaIsRefusedLikeAnImportedOne) {
  auto stranger = issue_certificate(CertificateSpec::authority("Example Org Test CA"));
  const std::string url = crl_server_->url("ca.crl");
  Identity who = alice({url});
  crl_server_->put("ca.crl", issue_crl(stranger, {{who.issued.cert.get(), 1}}, 7, false));
  const auto in = verify(who);
  expect_failed_fetch(url, "signature does not verify", in, audited("crl.fetch_failed"),
                      engine_->revocation_counts());
  EXPECT_TRUE(store_->list_crls().empty());
}

TEST_F(OnlineRevocationTest, UnderTheHardPolicyAFailedFetchMakesTheSignatureInvalid) {
  engine::Policy hard;
  hard.verification.revocation_hard = true;
  engine::Engine strict(
      *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, hard);
  enable(strict);
  const std::string url = crl_server_->url("missing.crl");
  auto in = verify(alice({url}), &strict);
  EXPECT_EQ(in.signature, SignatureStatus::invalid) << in.signature_reason;
  EXPECT_EQ(revocation(in).status, "unknown");
  EXPECT_NE(in.signature_reason.find("revocation = \"hard\""), std::string::npos)
      << in.signature_reason;
  EXPECT_EQ(audited("crl.fetch_failed").size(), 1u);
}

TEST_F(OnlineRevocationTest, OnlyHttpDistributionPointsAreFetched) {
  Identity who =
      alice({"ldap://ldap.example.org/cn=Example%20Org%20Test%20CA?certificateRevocationList"});
  auto in = verify(who);
  EXPECT_EQ(revocation(in).status, "unknown");
  EXPECT_NE(revocation(in).reason.find("only http:// URLs are"), std::string::npos)
      << revocation(in).reason;
  EXPECT_EQ(engine_->revocation_counts().crl_failed, 0u);
}

TEST_F(OnlineRevocationTest, TheRefresherReplacesAFetchedCrlBeforeItsNextUpdate) {
  Identity who = alice({crl_server_->url("ca.crl")});
  // nextUpdate in a day: within the refresh margin (48 h) from the start.
  crl_server_->put("ca.crl", issue_crl(ca_, {}, 1, false, 1, 120));
  EXPECT_EQ(revocation(verify(who)).status, "good");
  ASSERT_EQ(store_->list_crls().size(), 1u);
  EXPECT_EQ(store_->list_crls()[0].crl_number, "1");

  // The CA publishes a newer CRL that revokes alice; one pass of the refresher fetches it.
  crl_server_->put("ca.crl", issue_crl(ca_, {{who.issued.cert.get(), 1}}, 1, false, 2));
  EXPECT_EQ(engine_->refresh_crls(), 1u);
  const auto crls = store_->list_crls();
  ASSERT_EQ(crls.size(), 1u);  // replaced, not added
  EXPECT_EQ(crls[0].crl_number, "2");
  EXPECT_EQ(audited("crl.fetched").size(), 2u);
  auto in = verify(who);
  EXPECT_EQ(in.signature, SignatureStatus::revoked) << in.signature_reason;
  EXPECT_EQ(engine_->revocation_counts().crl_ok, 2u);  // refreshed, not fetched at verification

  // Nothing newer: a further pass stores nothing.
  EXPECT_EQ(engine_->refresh_crls(), 0u);
}

TEST_F(OnlineRevocationTest, ACrlFarFromItsNextUpdateIsNotRefreshed) {
  Identity who = alice({crl_server_->url("ca.crl")});
  crl_server_->put("ca.crl", issue_crl(ca_, {}, 30, false, 1, 120));
  EXPECT_EQ(revocation(verify(who)).status, "good");
  crl_server_->put("ca.crl", issue_crl(ca_, {}, 30, false, 2));
  EXPECT_EQ(engine_->refresh_crls(), 0u);
  EXPECT_EQ(store_->list_crls().at(0).crl_number, "1");
}

class OcspTest : public OnlineRevocationTest {
 protected:
  void SetUp() override {
    OnlineRevocationTest::SetUp();
    responder_key_ = delegated_responder();
  }

  // Starts `openssl ocsp` answering for the entries, signed by `signer` (default: the
  // responder ca_ delegated).
  OcspResponder& start_responder(const std::vector<OcspEntry>& entries,
                                 const IssuedCertificate* signer = nullptr) {
    responder_ = std::make_unique<OcspResponder>(
        scratch_.path() / "ocsp", ca_, signer != nullptr ? *signer : responder_key_, entries);
    responder_->start();
    return *responder_;
  }

  // alice with this serial, naming the responder (and the distribution points).
  Identity alice_with_serial(std::uint64_t serial, std::vector<std::string> ocsp_urls,
                             std::vector<std::string> crl_urls = {}) {
    CertificateSpec spec = CertificateSpec::smime("alice@example.com");
    spec.serial = serial;
    spec.ocsp_urls = std::move(ocsp_urls);
    spec.crl_urls = std::move(crl_urls);
    spec.issued_by(ca_);
    return Identity{issue_certificate(spec), "alice@example.com", ""};
  }

  IssuedCertificate responder_key_;
  std::unique_ptr<OcspResponder> responder_;
};

TEST_F(OcspTest, AGoodAnswerFromTheResponderIsGood) {
  auto& responder = start_responder({{0x4711, false}});
  Identity who = alice_with_serial(0x4711, {responder.url()});
  auto in = verify(who);
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  EXPECT_EQ(revocation(in).status, "good") << revocation(in).reason;
  EXPECT_EQ(revocation(in).source, "ocsp");
  EXPECT_TRUE(revocation(in).origin.empty());
  EXPECT_FALSE(has_warning(in, "revocation_unknown"));
  EXPECT_EQ(engine_->revocation_counts().ocsp_ok, 1u);

  // Kept until its nextUpdate: the responder is not asked again.
  responder.stop();
  auto again = verify(who);
  EXPECT_EQ(revocation(again).status, "good");
  EXPECT_EQ(revocation(again).source, "ocsp");
  EXPECT_EQ(engine_->revocation_counts().ocsp_ok, 1u);
  EXPECT_EQ(engine_->revocation_counts().ocsp_failed, 0u);
}

TEST_F(OcspTest, ARevokedAnswerFromTheResponderIsRevoked) {
  auto& responder = start_responder({{0x4712, true}});
  Identity who = alice_with_serial(0x4712, {responder.url()});
  auto in = verify(who);
  EXPECT_EQ(in.signature, SignatureStatus::revoked) << in.signature_reason;
  EXPECT_EQ(revocation(in).status, "revoked");
  EXPECT_EQ(revocation(in).source, "ocsp");
  EXPECT_NE(revocation(in).reason.find("keyCompromise"), std::string::npos)
      << revocation(in).reason;
}

TEST_F(OcspTest, TheCaItselfMayAnswer) {
  auto& responder = start_responder({{0x4713, true}}, &ca_);
  Identity who = alice_with_serial(0x4713, {responder.url()});
  auto in = verify(who);
  EXPECT_EQ(revocation(in).status, "revoked") << revocation(in).reason;
  EXPECT_EQ(revocation(in).source, "ocsp");
}

TEST_F(OcspTest, AResponderThatIsDownFallsBackToTheCrl) {
  const std::string down = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/";
  Identity who = alice_with_serial(0x4714, {down}, {crl_server_->url("ca.crl")});
  crl_server_->put("ca.crl", issue_crl(ca_, {{who.issued.cert.get(), 1}}, 7, false));
  auto in = verify(who);
  EXPECT_EQ(in.signature, SignatureStatus::revoked) << in.signature_reason;
  EXPECT_EQ(revocation(in).source, "crl");
  EXPECT_EQ(revocation(in).origin, "fetched");
  EXPECT_EQ(engine_->revocation_counts().ocsp_failed, 1u);
  const auto failures = audited("ocsp.query_failed");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].detail.find(down), std::string::npos) << failures[0].detail;
}

// A signed "unknown" (openssl ocsp's answer for a serial not in its index) is an answer, not a
// failure of the responder: the CRL decides, and the responder is asked again for the next
// certificate instead of backing off.
TEST_F(OcspTest, AnUnknownAnswerFallsBackToTheCrlWithoutBackingOffTheResponder) {
  auto& responder = start_responder({{0x4720, false}});
  Identity stranger = alice_with_serial(0x4721, {responder.url()}, {crl_server_->url("ca.crl")});
  crl_server_->put("ca.crl", issue_crl(ca_, {}, 7, false));
  auto in = verify(stranger);
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  EXPECT_EQ(revocation(in).status, "good") << revocation(in).reason;
  EXPECT_EQ(revocation(in).source, "crl");
  EXPECT_EQ(engine_->revocation_counts().ocsp_failed, 0u);
  EXPECT_TRUE(audited("ocsp.query_failed").empty());

  // The responder is not in backoff: a certificate it knows gets its answer at once.
  Identity known = alice_with_serial(0x4720, {responder.url()});
  auto next = verify(known);
  EXPECT_EQ(revocation(next).status, "good") << revocation(next).reason;
  EXPECT_EQ(revocation(next).source, "ocsp");
  EXPECT_EQ(engine_->revocation_counts().ocsp_ok, 2u);
  EXPECT_EQ(engine_->revocation_counts().ocsp_failed, 0u);
}

TEST_F(OcspTest, AResponseWithAnotherNonceIsRefused) {
  // A response the responder made for a request of its own, replayed by an HTTP server.
  OcspResponder offline(scratch_.path() / "ocsp", ca_, responder_key_, {{0x4715, false}});
  Identity who = alice_with_serial(0x4715, {crl_server_->url("ocsp")});
  crl_server_->put("ocsp", offline.canned_response(who.issued.cert.get()));
  auto in = verify(who);
  EXPECT_EQ(revocation(in).status, "unknown");
  EXPECT_NE(revocation(in).reason.find("nonce"), std::string::npos) << revocation(in).reason;
  EXPECT_TRUE(has_warning(in, "revocation_unknown"));
  EXPECT_EQ(engine_->revocation_counts().ocsp_failed, 1u);
  EXPECT_EQ(engine_->revocation_counts().ocsp_ok, 0u);
}

TEST_F(OcspTest, AResponseSignedByAStrangerIsRefused) {
  CertificateSpec rogue_spec = CertificateSpec::authority("Example Org OCSP Responder");
  rogue_spec.extended_key_usages = {"OCSPSigning"};
  auto rogue = issue_certificate(rogue_spec);  // self-signed: not ca_'s delegate
  auto& responder = start_responder({{0x4716, false}}, &rogue);
  Identity who = alice_with_serial(0x4716, {responder.url()});
  auto in = verify(who);
  EXPECT_EQ(revocation(in).status, "unknown");
  EXPECT_NE(revocation(in).reason.find("signature does not verify"), std::string::npos)
      << revocation(in).reason;
  EXPECT_EQ(engine_->revocation_counts().ocsp_failed, 1u);
}

TEST_F(OcspTest, UnderTheHardPolicyARefusedResponseMakesTheSignatureInvalid) {
  engine::Policy hard;
  hard.verification.revocation_hard = true;
  engine::Engine strict(
      *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, hard);
  enable(strict);
  CertificateSpec rogue_spec = CertificateSpec::authority("Rogue Responder");
  rogue_spec.extended_key_usages = {"OCSPSigning"};
  auto rogue = issue_certificate(rogue_spec);
  auto& responder = start_responder({{0x4717, false}}, &rogue);
  auto in = verify(alice_with_serial(0x4717, {responder.url()}), &strict);
  EXPECT_EQ(in.signature, SignatureStatus::invalid) << in.signature_reason;
  EXPECT_EQ(revocation(in).status, "unknown");
}

}  // namespace
}  // namespace smime::test
