// Capabilities and harvested intermediates (issue 17 items 5 and 6) against a real smimed
// (in-process, keys in SoftHSM2, the SQLite store): what a contact announces in verified
// signed mail is recorded for its certificate and audited, the reply is encrypted with what
// it announced, preflight says so, [encryption] cipher forces a cipher, and the intermediates
// of a harvested signer's validated chain are stored untrusted.
#include <gtest/gtest.h>
#include <openssl/cms.h>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"
#include "support/process.hpp"
#include "support/smime_capabilities.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

std::string signed_message(const IssuedCertificate& who, const std::string& from,
                           const std::string& message_id,
                           const std::optional<Announcement>& announced,
                           const std::vector<X509*>& extra = {}) {
  const std::string text = "From: " + from +
                           "\r\nTo: support@example.org\r\nSubject: Re: Ticket 4711\r\n"
                           "Message-ID: <" +
                           message_id +
                           ">\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
                           "Thanks, that works.\r\n";
  auto parts = engine::mime::prepare_outgoing(text);
  const auto der =
      sign_announcing(parts.content_entity, who.cert.get(), who.key.get(), announced, extra);
  return engine::mime::join(parts.outer_headers, engine::mime::compose_multipart_signed(
                                                     parts.content_entity, der, "sha-256"));
}

std::string reply_to(const std::string& address) {
  return "From: support@example.org\r\nTo: " + address +
         "\r\nSubject: Re: Ticket 4711\r\nMessage-ID: <r1@example.org>\r\n"
         "Content-Type: text/plain\r\n\r\nGlad to hear it.\r\n";
}

class CapabilitiesTest : public ServerTest {
 protected:
  void configure(AppConfig& config, server::ServerSettings&) override {
    config.certificates.harvest = true;
    config.encryption.cipher = cipher_;
  }
  void SetUp() override {
    ServerTest::SetUp();
    generate_org_key("support@example.org");
    trust(ca_.cert.get());
  }

  // The reply, encrypted: its content type (NID), the reason header and the message.
  struct Reply {
    int type = NID_undef;
    std::string reason;
    std::string message;
  };
  Reply encrypted_reply(const std::string& address) {
    HttpResult out = client().request("POST", "/api/v1/messages/outgoing?sign=false&encrypt=true",
                                      reply_to(address), auth("message/rfc822"));
    EXPECT_EQ(out.status, 200) << out.body;
    EXPECT_EQ(out.headers["x-smime-encrypted"], "true");
    auto parts = engine::mime::split_incoming(out.body);
    const auto der = engine::mime::classify(parts.content_entity).cms_der;
    const unsigned char* p = der.data();
    CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
    EXPECT_TRUE(cms);
    EXPECT_EQ(out.headers["x-smime-cipher-reason"].rfind(out.headers["x-smime-cipher"] + ": ", 0),
              0u);
    return {cms ? OBJ_obj2nid(CMS_get0_type(cms.get())) : NID_undef,
            out.headers["x-smime-cipher-reason"], out.body};
  }

  std::string cipher_ = "auto";
  IssuedCertificate ca_ = issue_certificate(CertificateSpec::authority("Partner CA"));
  IssuedCertificate carol_ =
      issue_certificate(CertificateSpec::smime("carol@partner.example").issued_by(ca_));
};

class ForcedCipherTest : public CapabilitiesTest {
 protected:
  ForcedCipherTest() { cipher_ = "aes-256-gcm"; }
};

TEST_F(CapabilitiesTest, WhatASignerAnnouncesIsRecordedAuditedAndChoosesTheReplysCipher) {
  const std::string fingerprint = certs::sha256_fingerprint(carol_.cert.get());
  const Announcement gcm{{NID_aes_256_gcm, NID_aes_256_cbc}, false, false, 1'750'000'000};
  const json in = incoming(signed_message(carol_, "carol@partner.example", "c1@p", gcm));
  ASSERT_EQ(in["signature"]["status"], "valid") << in.dump();
  EXPECT_EQ(in["harvested_certificate"], fingerprint);
  EXPECT_EQ(in["signature"]["signer"]["capabilities"], json::array({"aes256-gcm", "aes256-cbc"}));
  EXPECT_EQ(in["capabilities_recorded"], json::array({fingerprint})) << in.dump();
  json audited = log_entries("certificate.capabilities");
  ASSERT_EQ(audited.size(), 1u) << audited.dump();
  EXPECT_EQ(audited[0]["status"], "ok");
  EXPECT_EQ(audited[0]["message_id"], "c1@p");
  EXPECT_EQ(audited[0]["fingerprints"], json::array({fingerprint}));
  EXPECT_EQ(audited[0]["detail"], "announced in a verified signed message: aes256-gcm, aes256-cbc");

  // The reply: AES-256-GCM (the sent copy is the appliance's own key, which announces it too).
  auto [type, reason, reply] = encrypted_reply("carol@partner.example");
  EXPECT_EQ(type, NID_id_smime_ct_authEnvelopedData);
  EXPECT_EQ(reason, "aes-256-gcm: every recipient announced AES-256-GCM");
  // Carol's client could be OpenSSL: `openssl cms -decrypt` reads the AES-256-GCM reply.
  TempDir files;
  write_file((files.path() / "carol.key").string(), pem_pkcs8(carol_.key.get()));
  write_file((files.path() / "carol.pem").string(), pem(carol_.cert.get()));
  write_file((files.path() / "reply.eml").string(), reply);
  const ProcessResult decrypted = run_process(
      {"openssl", "cms", "-decrypt", "-in", (files.path() / "reply.eml").string(), "-inkey",
       (files.path() / "carol.key").string(), "-recip", (files.path() / "carol.pem").string()});
  EXPECT_EQ(decrypted.exit_code, 0) << decrypted.err;
  EXPECT_NE(decrypted.out.find("Glad to hear it."), std::string::npos) << decrypted.out;
  const json encrypt_entries = log_entries("message.encrypt");
  ASSERT_EQ(encrypt_entries.size(), 1u);
  EXPECT_NE(encrypt_entries[0]["detail"].get<std::string>().find(
                "cipher aes-256-gcm: every recipient announced AES-256-GCM; key transport "
                "carol@partner.example rsa-pkcs1"),
            std::string::npos)
      << encrypt_entries[0].dump();

  const json preflight = preflight_to("carol@partner.example");
  EXPECT_EQ(preflight["encrypt"]["cipher"], "aes-256-gcm") << preflight.dump();
  EXPECT_EQ(preflight["encrypt"]["certificates"][0]["capabilities_source"], "message");
  EXPECT_EQ(preflight["encrypt"]["certificates"][0]["key_transport"], "rsa-pkcs1");
  EXPECT_EQ(preflight["encrypt"]["certificates"][0]["key_transport_reason"],
            "rsa-pkcs1: carol@partner.example did not announce RSAES-OAEP");

  // The same announcement again, and a message without any: nothing recorded, nothing audited.
  const json same = incoming(signed_message(carol_, "carol@partner.example", "c2@p", gcm));
  EXPECT_FALSE(same.contains("capabilities_recorded")) << same.dump();
  const json none = incoming(signed_message(carol_, "carol@partner.example", "c3@p", std::nullopt));
  EXPECT_EQ(none["signature"]["status"], "valid");
  EXPECT_FALSE(none.contains("capabilities_recorded"));
  // An older message (signed before the recorded one) announcing less: not taken.
  const Announcement older{{NID_aes_256_cbc}, true, false, 1'700'000'000};
  EXPECT_FALSE(incoming(signed_message(carol_, "carol@partner.example", "c0@p", older))
                   .contains("capabilities_recorded"));
  EXPECT_EQ(log_entries("certificate.capabilities").size(), 1u);

  // A newer one announcing CBC and OAEP replaces it: the reply is AES-256-CBC with RSA-OAEP.
  const Announcement cbc{{NID_aes_256_cbc}, true, false, 1'780'000'000};
  EXPECT_EQ(incoming(signed_message(carol_, "carol@partner.example", "c4@p",
                                    cbc))["capabilities_recorded"],
            json::array({fingerprint}));
  EXPECT_EQ(log_entries("certificate.capabilities").size(), 2u);
  auto [cbc_type, cbc_reason, cbc_reply] = encrypted_reply("carol@partner.example");
  EXPECT_EQ(cbc_type, NID_pkcs7_enveloped);
  EXPECT_EQ(cbc_reason, "aes-256-cbc: carol@partner.example did not announce AES-GCM");
  EXPECT_EQ(preflight_to("carol@partner.example")["encrypt"]["certificates"][0]["key_transport"],
            "rsa-oaep-sha1");
}

TEST_F(CapabilitiesTest, TheIntermediatesOfAHarvestedSignersValidatedChainAreStoredUntrusted) {
  CertificateSpec intermediate_spec = CertificateSpec::authority("Partner Issuing CA");
  IssuedCertificate intermediate = issue_certificate(intermediate_spec.issued_by(ca_));
  IssuedCertificate dave =
      issue_certificate(CertificateSpec::smime("dave@partner.example").issued_by(intermediate));
  // Carried besides: a CA that is no part of dave's chain.
  IssuedCertificate unrelated =
      issue_certificate(CertificateSpec::authority("Unrelated CA").issued_by(ca_));
  const json in = incoming(signed_message(dave, "dave@partner.example", "d1@p", std::nullopt,
                                          {intermediate.cert.get(), unrelated.cert.get()}));
  ASSERT_EQ(in["signature"]["status"], "valid") << in.dump();
  const std::string intermediate_fp = certs::sha256_fingerprint(intermediate.cert.get());
  EXPECT_EQ(in["harvested_certificate"], certs::sha256_fingerprint(dave.cert.get()));
  EXPECT_EQ(in["harvested_intermediates"], json::array({intermediate_fp})) << in.dump();

  HttpResult shown = client().request("GET", "/api/v1/certificates/" + intermediate_fp, "", auth());
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(json::parse(shown.body)["trusted"], false) << "never a trust anchor";
  EXPECT_EQ(
      client()
          .request("GET", "/api/v1/certificates/" + certs::sha256_fingerprint(unrelated.cert.get()),
                   "", auth())
          .status,
      404);
  const json harvested = log_entries("certificate.harvest");
  ASSERT_EQ(harvested.size(), 2u) << harvested.dump();
  std::vector<std::string> details;
  for (const auto& e : harvested) details.push_back(e["detail"]);
  EXPECT_NE(std::find_if(details.begin(), details.end(),
                         [](const std::string& d) {
                           return d.rfind(
                                      "stored untrusted from a signed message: intermediate "
                                      "CA certificate ",
                                      0) == 0;
                         }),
            details.end())
      << harvested.dump();

  // Dave's next message needs nothing from the message any more.
  const json again = incoming(signed_message(dave, "dave@partner.example", "d2@p", std::nullopt));
  EXPECT_EQ(again["signature"]["status"], "valid") << again.dump();
  EXPECT_FALSE(again.contains("harvested_intermediates"));
  EXPECT_EQ(log_entries("certificate.harvest").size(), 2u);
}

TEST_F(ForcedCipherTest, TheEncryptionCipherSettingForcesTheCipher) {
  const json in = incoming(signed_message(carol_, "carol@partner.example", "c1@p", std::nullopt));
  ASSERT_EQ(in["signature"]["status"], "valid") << in.dump();
  auto [type, reason, reply] = encrypted_reply("carol@partner.example");
  EXPECT_EQ(type, NID_id_smime_ct_authEnvelopedData);
  EXPECT_EQ(reason, "aes-256-gcm: forced by [encryption] cipher");
  const json preflight = preflight_to("carol@partner.example");
  EXPECT_EQ(preflight["encrypt"]["cipher_reason"], "aes-256-gcm: forced by [encryption] cipher");
}

}  // namespace
}  // namespace smime::test
