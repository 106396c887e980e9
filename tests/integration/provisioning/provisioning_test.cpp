// Key ceremonies with token keys: CSRs signed inside the token that `openssl req -verify`
// accepts, and self-signed S/MIME certificates that `openssl verify -purpose smimesign` accepts.
#include <gtest/gtest.h>

#include "smime/common/pem.hpp"
#include "smime/provisioning/certificate_builder.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/token_attributes.hpp"

namespace smime::test {
namespace {

class TokenCeremonyTest : public SoftHsmTest, public ::testing::WithParamInterface<KeyAlgorithm> {};

TEST_P(TokenCeremonyTest, CsrSignedInTheTokenVerifiesWithOpenssl) {
  auto& keys = key_store();
  KeyInfo key = keys.generate(GetParam(), "csr-key");
  EvpPkeyPtr pub = keys.public_key(key.id);
  EvpPkeyPtr priv = keys.private_key(key.id);
  provisioning::SmimeIdentity who{"CN=Support Team,O=Example Org,C=DE",
                                  {"support@example.org", "help@example.org"}};
  auto csr = provisioning::build_csr(who, pub.get(), priv.get());
  const std::string path = scratch_.file("request.csr");
  write_file(path, provisioning::to_pem(csr.get()));

  ProcessResult verify = run_process({"openssl", "req", "-verify", "-noout", "-in", path});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  ProcessResult text = run_process({"openssl", "req", "-noout", "-text", "-in", path});
  EXPECT_NE(text.out.find("email:support@example.org"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("email:help@example.org"), std::string::npos);
  EXPECT_NE(text.out.find("E-mail Protection"), std::string::npos);
  EXPECT_NE(text.out.find("Digital Signature"), std::string::npos);
  EXPECT_NE(text.out.find("CN = Support Team"), std::string::npos);

  // Signing did not loosen the key.
  ObjectAttributes attrs = read_key_object(*shared_token(), key.id, CKO_PRIVATE_KEY);
  EXPECT_TRUE(attrs.sensitive);
  EXPECT_FALSE(attrs.extractable);
}

TEST_P(TokenCeremonyTest, SelfSignedCertificateIsASmimeSigner) {
  auto& keys = key_store();
  KeyInfo key = keys.generate(GetParam(), "self-signed");
  EvpPkeyPtr pub = keys.public_key(key.id);
  EvpPkeyPtr priv = keys.private_key(key.id);
  auto cert =
      provisioning::build_self_signed({"", {"demo@example.org"}}, pub.get(), priv.get(), 30);
  const std::string path = scratch_.file("cert.pem");
  write_file(path, certificate_pem(cert.get()));
  ProcessResult verify =
      run_process({"openssl", "verify", "-purpose", "smimesign", "-CAfile", path, path});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("OK"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, TokenCeremonyTest,
                         ::testing::Values(KeyAlgorithm::rsa_2048, KeyAlgorithm::ec_p256,
                                           KeyAlgorithm::ec_p384),
                         [](const auto& info) {
                           std::string name(to_string(info.param));
                           for (auto& ch : name) ch = ch == '-' ? '_' : ch;
                           return name;
                         });

}  // namespace
}  // namespace smime::test
