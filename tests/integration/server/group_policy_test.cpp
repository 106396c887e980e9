// A group's own verification policy in a running smimed (issue 16 item 3: "a policy per
// appliance or group"): set through the admin API, it governs incoming mail to the group's
// address. The same signed message, whose revocation status is unknown (no CRL of its issuer
// anywhere), is valid with the warning revocation_unknown while the group is soft and invalid
// once the group is hard; the change is in the audit log.
#include <gtest/gtest.h>
#include <openssl/cms.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"
#include "support/test_certs.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

class GroupPolicyServerTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    HttpResult imported = client().request("POST", "/api/v1/certificates?trust=true",
                                           pem(ca_.cert.get()), auth("application/x-pem-file"));
    ASSERT_EQ(imported.status, 201) << imported.body;
  }

  std::string signed_to_support() {
    const std::string text =
        "From: alice@example.com\r\nTo: support@example.org\r\nSubject: Ticket 4711\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nHello.\r\n";
    auto parts = engine::mime::prepare_outgoing(text);
    const std::string& entity = parts.content_entity;
    BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
    CmsPtr cms(CMS_sign(alice_.cert.get(), alice_.key.get(), nullptr, in.get(),
                        CMS_BINARY | CMS_DETACHED));
    if (!cms) throw_openssl(ErrorCode::internal, "test: CMS_sign");
    unsigned char* raw = nullptr;
    const int n = i2d_CMS_ContentInfo(cms.get(), &raw);
    OpensslBytesPtr owner(raw);
    const std::vector<unsigned char> der(raw, raw + n);
    return engine::mime::join(parts.outer_headers,
                              engine::mime::compose_multipart_signed(entity, der, "sha-256"));
  }

  json put_group(const json& body) {
    HttpResult r =
        client().request("PUT", "/api/v1/groups/support", body.dump(), auth("application/json"));
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
    return json::parse(r.body);
  }

  json incoming(const std::string& message) {
    HttpResult r =
        client().request("POST", "/api/v1/messages/incoming", message, auth("message/rfc822"));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }

  IssuedCertificate ca_ = issue_certificate(CertificateSpec::authority("Group Policy CA"));
  IssuedCertificate alice_ =
      issue_certificate(CertificateSpec::smime("alice@example.com").issued_by(ca_));
};

TEST_F(GroupPolicyServerTest, TheSameMessageIsValidUnderASoftGroupAndInvalidUnderAHardOne) {
  const std::string message = signed_to_support();
  EXPECT_EQ(put_group({{"email", "support@example.org"}, {"revocation", "soft"}})["revocation"],
            "soft");
  const json soft = incoming(message);
  EXPECT_EQ(soft["signature"]["status"], "valid") << soft.dump();
  EXPECT_EQ(soft["signatures"][0]["checks"]["revocation"]["status"], "unknown");
  const auto& warnings = soft["signatures"][0]["warnings"];
  EXPECT_NE(std::find(warnings.begin(), warnings.end(), "revocation_unknown"), warnings.end())
      << soft.dump();

  EXPECT_EQ(put_group({{"email", "support@example.org"}, {"revocation", "hard"}})["revocation"],
            "hard");
  const json hard = incoming(message);
  EXPECT_EQ(hard["signature"]["status"], "invalid") << hard.dump();
  EXPECT_NE(hard["signature"]["reason"].get<std::string>().find("group support"), std::string::npos)
      << hard.dump();

  // The change is audited with the value it replaced.
  HttpResult log = client().request("GET", "/api/v1/logs?operation=group.set", "", auth());
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_NE(log.body.find("revocation hard (was soft)"), std::string::npos) << log.body;
}

}  // namespace
}  // namespace smime::test
