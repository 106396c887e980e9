// A group's own verification policy in a running smimed (issue 16 item 3: "a policy per
// appliance or group"): set through the admin API, it governs incoming mail to the group's
// address. The same signed message, whose revocation status is unknown (no CRL of its issuer
// anywhere), is valid with the warning revocation_unknown while the group is soft and invalid
// once the group is hard; the change is in the audit log.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "support/correspondent_mail.hpp"
#include "support/test_certs.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

class GroupPolicyServerTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    trust(ca_.cert.get());
  }

  std::string signed_to_support() {
    return correspondent_signed(alice_, correspondent_text("alice@example.com", "Ticket 4711"));
  }

  json put_group(const json& body) {
    HttpResult r =
        client().request("PUT", "/api/v1/groups/support", body.dump(), auth("application/json"));
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
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
