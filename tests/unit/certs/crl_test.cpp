// CRL parsing (PEM and DER), the fields the store keeps, and the issuer signature check.
#include "smime/certs/crl.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <map>
#include <set>
#include <string>

#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::certs {
namespace {

using test::CertificateSpec;
using test::issue_certificate;
using test::IssuedCertificate;

class CrlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = issue_certificate(CertificateSpec::authority("CRL CA"));
    CertificateSpec leaf = CertificateSpec::smime("revoked@example.com", "ec-p256");
    revoked_ = issue_certificate(leaf.issued_by(ca_));
    CertificateSpec other = CertificateSpec::smime("held@example.com", "ec-p256");
    held_ = issue_certificate(other.issued_by(ca_));
  }

  std::vector<unsigned char> make_crl(bool pem, int next_update_days = 7, long number = 4096) {
    return test::issue_crl(ca_, {{revoked_.cert.get(), 1}, {held_.cert.get(), -1}},
                           next_update_days, pem, number);
  }

  IssuedCertificate ca_;
  IssuedCertificate revoked_;
  IssuedCertificate held_;
};

TEST_F(CrlTest, ParsesPemAndDerAlike) {
  const std::time_t now = std::time(nullptr);
  for (bool pem : {true, false}) {
    SCOPED_TRACE(pem ? "PEM" : "DER");
    const ParsedCrl parsed = parse_crl(make_crl(pem));
    ASSERT_TRUE(parsed.crl);
    EXPECT_EQ(parsed.description.issuer, describe_certificate(ca_.cert.get()).subject);
    EXPECT_EQ(parsed.description.issuer, "CN=CRL CA");
    EXPECT_EQ(parsed.description.crl_number, "4096");
    EXPECT_NEAR(static_cast<double>(parsed.description.this_update),
                static_cast<double>(now - 3600), 5.0);
    EXPECT_NEAR(static_cast<double>(parsed.description.next_update),
                static_cast<double>(now + 7 * 24 * 3600), 5.0);
    EXPECT_FALSE(parsed.description.der.empty());
    EXPECT_EQ(parsed.description.der,
              parse_crl(parsed.description.der).description.der);  // DER round trip
    // The store's id and the issuer's fingerprint are not the certificate code's to know: the
    // description has no such fields.

    ASSERT_EQ(parsed.revoked.size(), 2u);
    std::map<std::string, RevokedSerial> by_serial;
    for (const auto& entry : parsed.revoked) by_serial[entry.serial] = entry;
    const std::string revoked_serial = describe_certificate(revoked_.cert.get()).serial;
    const std::string held_serial = describe_certificate(held_.cert.get()).serial;
    ASSERT_TRUE(by_serial.count(revoked_serial));
    ASSERT_TRUE(by_serial.count(held_serial));
    EXPECT_EQ(by_serial[revoked_serial].reason, "keyCompromise");
    EXPECT_EQ(by_serial[held_serial].reason, "");
    EXPECT_EQ(by_serial[revoked_serial].revoked_at, parsed.description.this_update);
  }
}

TEST_F(CrlTest, OptionalFieldsAbsent) {
  const ParsedCrl parsed =
      parse_crl(test::issue_crl(ca_, {}, test::kNoNextUpdate, /*pem=*/true, /*crl_number=*/-1));
  EXPECT_EQ(parsed.description.next_update, 0);
  EXPECT_EQ(parsed.description.crl_number, "");
  EXPECT_TRUE(parsed.revoked.empty());
}

TEST_F(CrlTest, ReasonNames) {
  const auto crl =
      test::issue_crl(ca_, {{revoked_.cert.get(), 6}, {held_.cert.get(), 5}}, 7, false);
  const ParsedCrl parsed = parse_crl(crl);
  std::set<std::string> reasons;
  for (const auto& entry : parsed.revoked) reasons.insert(entry.reason);
  EXPECT_EQ(reasons, (std::set<std::string>{"certificateHold", "cessationOfOperation"}));
}

TEST_F(CrlTest, SignedByTheRightCaOnly) {
  const ParsedCrl parsed = parse_crl(make_crl(true));
  EXPECT_TRUE(crl_signed_by(parsed.crl.get(), ca_.cert.get()));

  // Another CA, different name.
  const auto other = issue_certificate(CertificateSpec::authority("Other CA"));
  EXPECT_FALSE(crl_signed_by(parsed.crl.get(), other.cert.get()));
  // Same name, different key: the signature decides.
  const auto impostor = issue_certificate(CertificateSpec::authority("CRL CA"));
  EXPECT_FALSE(crl_signed_by(parsed.crl.get(), impostor.cert.get()));
  EXPECT_EQ(ERR_peek_error(), 0u);  // a "no" leaves the OpenSSL error queue clean
}

TEST_F(CrlTest, RefusesWhatIsNotACrl) {
  const auto refused = [](const std::vector<unsigned char>& input) {
    try {
      parse_crl(input);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input);
      EXPECT_NE(std::string(e.what()).find(kAcceptedCrlFormats), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << "accepted";
  };
  refused({});
  refused(test::as_bytes("not a crl"));
  refused(test::as_bytes(test::pem(ca_.cert.get())));
  refused(test::der(ca_.cert.get()));
  std::vector<unsigned char> truncated = make_crl(false);
  truncated.erase(truncated.end() - 10, truncated.end());
  refused(truncated);
  std::vector<unsigned char> broken_pem = make_crl(true);
  broken_pem.erase(broken_pem.begin() + 40, broken_pem.begin() + 80);
  refused(broken_pem);
}

}  // namespace
}  // namespace smime::certs
