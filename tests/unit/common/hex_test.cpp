#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "smime/token/key_store.hpp"
#include "support/test_keys.hpp"

namespace smime {
namespace {

using Bytes = std::vector<unsigned char>;

TEST(Hex, EncodesLowercasePairs) {
  EXPECT_EQ(to_hex(Bytes{0x00, 0x0f, 0xab, 0xff, 0x10}), "000fabff10");
  EXPECT_EQ(to_hex(Bytes{}), "");
}

TEST(Hex, DecodesEitherCase) {
  EXPECT_EQ(from_hex("000fabff10"), (Bytes{0x00, 0x0f, 0xab, 0xff, 0x10}));
  EXPECT_EQ(from_hex("000FABFF10"), (Bytes{0x00, 0x0f, 0xab, 0xff, 0x10}));
  EXPECT_EQ(from_hex("aBcD"), (Bytes{0xab, 0xcd}));
  EXPECT_EQ(from_hex(""), Bytes{});
}

TEST(Hex, DecodesColonSeparatedPairs) {
  EXPECT_EQ(from_hex("A1:b2:C3"), (Bytes{0xa1, 0xb2, 0xc3}));
  EXPECT_EQ(from_hex("7f"), (Bytes{0x7f}));
}

TEST(Hex, RejectsOddLengthAndBadCharacters) {
  for (const char* bad : {"abc", "a", "zz", "0g", "ab cd", " abcd", "ab\n", "-1", "0x12"}) {
    EXPECT_EQ(from_hex(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(Hex, RejectsMisplacedColons) {
  for (const char* bad : {":ab", "ab:", "ab::cd", "a:bc", "abc:d", "ab:cdef", ":", "ab:c"}) {
    EXPECT_EQ(from_hex(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(Hex, RoundTripsEveryByteValue) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) {
    all[i] = static_cast<unsigned char>(i);
  }
  const std::string text = to_hex(all);
  EXPECT_EQ(text.size(), 512u);
  EXPECT_EQ(from_hex(text), all);
}

// ---- key ids ----

Bytes subject_key_identifier(X509* certificate) {
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(certificate);
  if (ski == nullptr) {
    return {};
  }
  return Bytes(ASN1_STRING_get0_data(ski), ASN1_STRING_get0_data(ski) + ASN1_STRING_length(ski));
}

class KeyIdTest : public ::testing::TestWithParam<std::string> {};

TEST_P(KeyIdTest, EqualsOpenSslSubjectKeyIdentifierHash) {
  EvpPkeyPtr key = test::generate_software_key(GetParam());
  X509Ptr certificate = test::self_signed_certificate(key.get());
  const Bytes ski = subject_key_identifier(certificate.get());
  ASSERT_EQ(ski.size(), 20u);
  EXPECT_EQ(to_hex(key_id_for(key.get())), to_hex(ski));
}

TEST_P(KeyIdTest, IsTheSameForThePublicHalfAlone) {
  EvpPkeyPtr key = test::generate_software_key(GetParam());
  const std::string pem = test::pem_public(key.get());
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr public_only(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(public_only);
  EXPECT_EQ(key_id_for(public_only.get()), key_id_for(key.get()));
}

INSTANTIATE_TEST_SUITE_P(Keys, KeyIdTest, ::testing::Values("rsa-2048", "ec-p256", "ec-p384"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(KeyId, DiffersBetweenKeys) {
  EvpPkeyPtr a = test::generate_software_key("ec-p256");
  EvpPkeyPtr b = test::generate_software_key("ec-p256");
  EXPECT_NE(key_id_for(a.get()), key_id_for(b.get()));
}

// ---- algorithm names ----

TEST(KeyAlgorithmNames, ParsesExactlyTheFiveNames) {
  EXPECT_EQ(parse_key_algorithm("rsa-2048"), KeyAlgorithm::rsa_2048);
  EXPECT_EQ(parse_key_algorithm("rsa-3072"), KeyAlgorithm::rsa_3072);
  EXPECT_EQ(parse_key_algorithm("rsa-4096"), KeyAlgorithm::rsa_4096);
  EXPECT_EQ(parse_key_algorithm("ec-p256"), KeyAlgorithm::ec_p256);
  EXPECT_EQ(parse_key_algorithm("ec-p384"), KeyAlgorithm::ec_p384);
}

TEST(KeyAlgorithmNames, RejectsEverythingElse) {
  for (const char* bad : {"", "rsa", "RSA-2048", "rsa2048", "rsa-1024", "rsa-2048 ", " ec-p256",
                          "ec-p521", "ec-P256", "ed25519", "ec-p256\n"}) {
    EXPECT_EQ(parse_key_algorithm(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(KeyAlgorithmNames, ToStringRoundTrips) {
  for (KeyAlgorithm algorithm :
       {KeyAlgorithm::rsa_2048, KeyAlgorithm::rsa_3072, KeyAlgorithm::rsa_4096,
        KeyAlgorithm::ec_p256, KeyAlgorithm::ec_p384}) {
    EXPECT_EQ(parse_key_algorithm(to_string(algorithm)), algorithm);
  }
  EXPECT_EQ(to_string(KeyAlgorithm::rsa_3072), "rsa-3072");
  EXPECT_EQ(to_string(KeyAlgorithm::ec_p384), "ec-p384");
}

TEST(KeyTypeNames, AreRsaAndEc) {
  EXPECT_EQ(to_string(KeyType::rsa), "rsa");
  EXPECT_EQ(to_string(KeyType::ec), "ec");
}

}  // namespace
}  // namespace smime
