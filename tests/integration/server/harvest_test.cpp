// Certificate harvesting (issue 17 item 6) against a real smimed (in-process, keys in SoftHSM2,
// the SQLite store): under [certificates] harvest = true the signer certificate of a validly
// signed incoming message is stored untrusted, audited as certificate.harvest and named in the
// result, so that a reply can be encrypted to it; nothing else is ever stored.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "smime/certs/certificate_info.hpp"
#include "support/correspondent_mail.hpp"
#include "support/test_certs.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

// A message from `from` to the helpdesk, signed (multipart/signed, certificates embedded) by
// `who` with OpenSSL.
std::string signed_message(const IssuedCertificate& who, const std::string& from,
                           const std::string& message_id) {
  return correspondent_signed(who, correspondent_text(from, "Re: Ticket 4711", message_id));
}

class HarvestTest : public ServerTest {
 protected:
  void configure(AppConfig& config, server::ServerSettings&) override {
    config.certificates.harvest = harvest_;
  }
  void SetUp() override {
    ServerTest::SetUp();
    generate_org_key("support@example.org");
    trust(ca_.cert.get());
  }

  int certificate_status(const std::string& fingerprint) {
    return client().request("GET", "/api/v1/certificates/" + fingerprint, "", auth()).status;
  }
  json harvest_entries() { return log_entries("certificate.harvest"); }

  bool harvest_ = true;
  IssuedCertificate ca_ = issue_certificate(CertificateSpec::authority("Partner CA"));
  IssuedCertificate carol_ =
      issue_certificate(CertificateSpec::smime("carol@partner.example").issued_by(ca_));
};

class HarvestOffTest : public HarvestTest {
 protected:
  HarvestOffTest() { harvest_ = false; }
};

TEST_F(HarvestTest, AValidSignersCertificateIsStoredUntrustedAuditedAndUsableForAReply) {
  const std::string fingerprint = certs::sha256_fingerprint(carol_.cert.get());
  EXPECT_EQ(certificate_status(fingerprint), 404);
  EXPECT_FALSE(preflight_to("carol@partner.example")["encrypt"]["possible"].get<bool>());

  const json in = incoming(signed_message(carol_, "carol@partner.example", "c1@partner.example"));
  EXPECT_EQ(in["signature"]["status"], "valid") << in.dump();
  EXPECT_EQ(in["signature"]["signer"]["stored"], false) << "not stored when it was checked";
  EXPECT_EQ(in["harvested_certificate"], fingerprint) << in.dump();

  HttpResult shown = client().request("GET", "/api/v1/certificates/" + fingerprint, "", auth());
  ASSERT_EQ(shown.status, 200) << shown.body;
  const json certificate = json::parse(shown.body);
  EXPECT_EQ(certificate["trusted"], false) << "a harvested leaf is never a trust anchor";
  EXPECT_EQ(certificate["has_private_key"], false) << shown.body;

  const json entries = harvest_entries();
  ASSERT_EQ(entries.size(), 1u) << entries.dump();
  EXPECT_EQ(entries[0]["status"], "ok");
  EXPECT_EQ(entries[0]["direction"], "admin");
  EXPECT_EQ(entries[0]["message_id"], "c1@partner.example");
  EXPECT_EQ(entries[0]["fingerprints"], json::array({fingerprint}));
  EXPECT_EQ(entries[0]["addresses"], json::array({"carol@partner.example"}));

  // The reply can be encrypted to carol now.
  const json preflight = preflight_to("carol@partner.example");
  EXPECT_TRUE(preflight["encrypt"]["possible"].get<bool>()) << preflight.dump();
  EXPECT_EQ(preflight["encrypt"]["certificates"][0]["fingerprint"], fingerprint);
  const std::string reply =
      "From: support@example.org\r\nTo: carol@partner.example\r\nSubject: Re: Ticket 4711\r\n"
      "Message-ID: <r1@example.org>\r\nContent-Type: text/plain\r\n\r\nGlad to hear it.\r\n";
  HttpResult out = client().request("POST", "/api/v1/messages/outgoing?encrypt=true", reply,
                                    auth("message/rfc822"));
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(out.headers["x-smime-encrypted"], "true");

  // Already stored: nothing new, no second entry; the signer now counts as stored.
  const json again =
      incoming(signed_message(carol_, "carol@partner.example", "c2@partner.example"));
  EXPECT_EQ(again["signature"]["status"], "valid");
  EXPECT_EQ(again["signature"]["signer"]["stored"], true);
  EXPECT_FALSE(again.contains("harvested_certificate")) << again.dump();
  EXPECT_EQ(harvest_entries().size(), 1u);

  // As message/rfc822 the header names it, like the JSON (dave, a second contact of the CA).
  IssuedCertificate dave =
      issue_certificate(CertificateSpec::smime("dave@partner.example").issued_by(ca_));
  std::map<std::string, std::string> headers = auth("message/rfc822");
  headers["Accept"] = "message/rfc822";
  HttpResult as_message =
      client().request("POST", "/api/v1/messages/incoming",
                       signed_message(dave, "dave@partner.example", "d1@partner.example"), headers);
  ASSERT_EQ(as_message.status, 200) << as_message.body;
  EXPECT_EQ(as_message.headers["x-smime-harvested-certificate"],
            certs::sha256_fingerprint(dave.cert.get()));
  EXPECT_EQ(harvest_entries().size(), 2u);
}

TEST_F(HarvestTest, AnUnknownSignerOrAnInvalidSignatureStoresNothing) {
  // Issued by a CA that is not stored: unknown_signer.
  IssuedCertificate other_ca = issue_certificate(CertificateSpec::authority("Other CA"));
  IssuedCertificate dave =
      issue_certificate(CertificateSpec::smime("dave@other.example").issued_by(other_ca));
  const json unknown = incoming(signed_message(dave, "dave@other.example", "d1@other.example"));
  EXPECT_EQ(unknown["signature"]["status"], "unknown_signer") << unknown.dump();
  EXPECT_FALSE(unknown.contains("harvested_certificate"));
  EXPECT_EQ(certificate_status(certs::sha256_fingerprint(dave.cert.get())), 404);

  // Carol's signature over content changed afterwards: invalid.
  std::string tampered = signed_message(carol_, "carol@partner.example", "c3@partner.example");
  const auto at = tampered.find("Hello.");
  ASSERT_NE(at, std::string::npos);
  tampered.replace(at, 5, "HELLO");
  const json invalid = incoming(tampered);
  EXPECT_EQ(invalid["signature"]["status"], "invalid") << invalid.dump();
  EXPECT_FALSE(invalid.contains("harvested_certificate"));
  EXPECT_EQ(certificate_status(certs::sha256_fingerprint(carol_.cert.get())), 404);

  // A valid signature by carol from someone else's address: sender_mismatch.
  const json mismatch = incoming(signed_message(carol_, "mallory@partner.example", "m1@x"));
  EXPECT_EQ(mismatch["signature"]["status"], "sender_mismatch") << mismatch.dump();
  EXPECT_FALSE(mismatch.contains("harvested_certificate"));
  EXPECT_EQ(certificate_status(certs::sha256_fingerprint(carol_.cert.get())), 404);

  EXPECT_TRUE(harvest_entries().empty());
}

TEST_F(HarvestTest, ACertificateTheImportRulesRefuseIsNotStoredAndTheFailureIsAudited) {
  // Valid for signing (digitalSignature, emailProtection) but with its address only in the
  // subject DN: the default import rules refuse it, the legacy policy is off.
  CertificateSpec spec = CertificateSpec::smime("erin@partner.example");
  spec.emails.clear();
  spec.subject_email = "erin@partner.example";
  IssuedCertificate erin = issue_certificate(spec.issued_by(ca_));
  const json in = incoming(signed_message(erin, "erin@partner.example", "e1@partner.example"));
  ASSERT_EQ(in["signature"]["status"], "valid") << "the subject's emailAddress names the signer";
  EXPECT_FALSE(in.contains("harvested_certificate")) << in.dump();
  EXPECT_EQ(certificate_status(certs::sha256_fingerprint(erin.cert.get())), 404);
  const json entries = harvest_entries();
  ASSERT_EQ(entries.size(), 1u) << entries.dump();
  EXPECT_EQ(entries[0]["status"], "failed");
  EXPECT_EQ(entries[0]["message_id"], "e1@partner.example");
  EXPECT_NE(entries[0]["detail"].get<std::string>().find("rfc822Name"), std::string::npos)
      << entries[0].dump();
}

TEST_F(HarvestOffTest, WithThePolicyOffNothingIsStored) {
  const json in = incoming(signed_message(carol_, "carol@partner.example", "c1@partner.example"));
  EXPECT_EQ(in["signature"]["status"], "valid") << in.dump();
  EXPECT_FALSE(in.contains("harvested_certificate"));
  EXPECT_EQ(certificate_status(certs::sha256_fingerprint(carol_.cert.get())), 404);
  EXPECT_TRUE(harvest_entries().empty());
}

}  // namespace
}  // namespace smime::test
