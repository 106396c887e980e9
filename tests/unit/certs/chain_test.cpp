// Chain building against stored anchors only, with partial chains and a chosen time.
#include "smime/certs/chain.hpp"

#include <gtest/gtest.h>

#include "smime/certs/certificate_info.hpp"
#include "support/test_certs.hpp"

namespace smime::certs {
namespace {

using test::CertificateSpec;
using test::issue_certificate;
using test::IssuedCertificate;

constexpr std::time_t kDay = 24 * 60 * 60;

class ChainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // CAs valid for a year already, so older signing times can be checked against them.
    CertificateSpec root = CertificateSpec::authority("Chain Root");
    root.not_before_days = -365;
    root_ = new IssuedCertificate(issue_certificate(root));
    CertificateSpec intermediate = CertificateSpec::authority("Chain Intermediate");
    intermediate.not_before_days = -365;
    intermediate_ = new IssuedCertificate(issue_certificate(intermediate.issued_by(*root_)));
    CertificateSpec leaf = CertificateSpec::smime("leaf@example.com", "ec-p256");
    leaf_ = new IssuedCertificate(issue_certificate(leaf.issued_by(*intermediate_)));
  }
  static void TearDownTestSuite() {
    for (IssuedCertificate** p : {&root_, &intermediate_, &leaf_}) {
      delete *p;
      *p = nullptr;
    }
  }

  static std::vector<std::string> fingerprints(const ChainResult& result) {
    std::vector<std::string> out;
    for (const auto& cert : result.chain) out.push_back(sha256_fingerprint(cert.get()));
    return out;
  }
  static std::string fp(const IssuedCertificate* issued) {
    return sha256_fingerprint(issued->cert.get());
  }

  static inline IssuedCertificate* root_ = nullptr;
  static inline IssuedCertificate* intermediate_ = nullptr;
  static inline IssuedCertificate* leaf_ = nullptr;
};

TEST_F(ChainTest, LeafThroughIntermediateToRootAnchor) {
  const ChainResult result = build_chain(leaf_->cert.get(), {root_->cert.get()},
                                         {intermediate_->cert.get()}, std::time(nullptr));
  EXPECT_TRUE(result.trusted) << result.error;
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(fingerprints(result),
            (std::vector<std::string>{fp(leaf_), fp(intermediate_), fp(root_)}));
}

TEST_F(ChainTest, UntrustedWithoutAnchor) {
  const ChainResult result = build_chain(
      leaf_->cert.get(), {}, {intermediate_->cert.get(), root_->cert.get()}, std::time(nullptr));
  EXPECT_FALSE(result.trusted);
  EXPECT_FALSE(result.error.empty());
  ASSERT_FALSE(result.chain.empty());
  EXPECT_EQ(sha256_fingerprint(result.chain.front().get()), fp(leaf_));
}

TEST_F(ChainTest, UntrustedWhenTheIntermediateIsMissing) {
  const ChainResult result =
      build_chain(leaf_->cert.get(), {root_->cert.get()}, {}, std::time(nullptr));
  EXPECT_FALSE(result.trusted);
  EXPECT_EQ(result.error, "unable to get local issuer certificate");
}

TEST_F(ChainTest, ExplicitlyTrustedLeafAlone) {
  const ChainResult result =
      build_chain(leaf_->cert.get(), {leaf_->cert.get()}, {}, std::time(nullptr));
  EXPECT_TRUE(result.trusted) << result.error;
  EXPECT_EQ(fingerprints(result), (std::vector<std::string>{fp(leaf_)}));
}

TEST_F(ChainTest, IntermediateAsAnchorIsAPartialChain) {
  const ChainResult result =
      build_chain(leaf_->cert.get(), {intermediate_->cert.get()}, {}, std::time(nullptr));
  EXPECT_TRUE(result.trusted) << result.error;
  EXPECT_EQ(fingerprints(result), (std::vector<std::string>{fp(leaf_), fp(intermediate_)}));
}

TEST_F(ChainTest, ExpiredLeafFailsNowAndVerifiesInsideItsValidity) {
  CertificateSpec spec = CertificateSpec::smime("expired@example.com", "ec-p256");
  spec.not_before_days = -60;
  spec.not_after_days = -30;
  const auto expired = issue_certificate(spec.issued_by(*intermediate_));
  const std::time_t now = std::time(nullptr);

  const ChainResult today =
      build_chain(expired.cert.get(), {root_->cert.get()}, {intermediate_->cert.get()}, now);
  EXPECT_FALSE(today.trusted);
  EXPECT_EQ(today.error, "certificate has expired");

  const ChainResult then = build_chain(expired.cert.get(), {root_->cert.get()},
                                       {intermediate_->cert.get()}, now - 45 * kDay);
  EXPECT_TRUE(then.trusted) << then.error;
  EXPECT_EQ(then.chain.size(), 3u);
}

TEST_F(ChainTest, NotYetValidAtAnEarlierTime) {
  const ChainResult result =
      build_chain(leaf_->cert.get(), {root_->cert.get()}, {intermediate_->cert.get()},
                  std::time(nullptr) - 10 * kDay);
  EXPECT_FALSE(result.trusted);
  EXPECT_EQ(result.error, "certificate is not yet valid");
}

TEST_F(ChainTest, AnchorFromAnotherPkiDoesNotHelp) {
  const auto stranger = issue_certificate(CertificateSpec::authority("Chain Root"));
  const ChainResult result = build_chain(leaf_->cert.get(), {stranger.cert.get()},
                                         {intermediate_->cert.get()}, std::time(nullptr));
  EXPECT_FALSE(result.trusted);
}

namespace {

std::vector<X509Ptr> copies(const std::vector<const IssuedCertificate*>& issued) {
  std::vector<X509Ptr> out;
  for (const IssuedCertificate* i : issued) {
    X509_up_ref(i->cert.get());
    out.emplace_back(i->cert.get());
  }
  return out;
}

}  // namespace

TEST_F(ChainTest, DefaultAnchorsOfAnImport) {
  // On its own, any certificate is an anchor (a CA imported directly, a pinned contact).
  EXPECT_EQ(default_anchors(copies({intermediate_})), std::vector<bool>{true});
  EXPECT_EQ(default_anchors(copies({leaf_})), std::vector<bool>{true});
  // A chain file: the self-signed root is, its intermediates and leaf only help path building.
  EXPECT_EQ(default_anchors(copies({leaf_, intermediate_, root_})),
            (std::vector<bool>{false, false, true}));
  EXPECT_EQ(default_anchors(copies({leaf_, intermediate_})), (std::vector<bool>{false, false}));
  // Unrelated CAs in one bundle are each an anchor.
  IssuedCertificate other = issue_certificate(CertificateSpec::authority("Unrelated Root"));
  EXPECT_EQ(default_anchors(copies({intermediate_, &other})), (std::vector<bool>{true, true}));
}

}  // namespace
}  // namespace smime::certs
