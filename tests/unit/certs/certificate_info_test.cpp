// Every metadata field the store keeps about a certificate, checked against values computed
// independently of describe_certificate.
#include "smime/certs/certificate_info.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::certs {
namespace {

using test::CertificateSpec;
using test::issue_certificate;

constexpr std::time_t kBase = 1700000000;  // 2023-11-14T22:13:20Z
constexpr std::int64_t kDay = 24 * 60 * 60;

std::string digest_hex(const std::vector<unsigned char>& data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out, &length, md, nullptr), 1);
  return to_hex({out, length});
}

// RFC 5280 method 1, what "subjectKeyIdentifier=hash" computes: SHA-1 of the key bits.
std::string key_hash_hex(const X509* cert) {
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert);
  std::vector<unsigned char> data(ASN1_STRING_get0_data(bits),
                                  ASN1_STRING_get0_data(bits) + ASN1_STRING_length(bits));
  return digest_hex(data, EVP_sha1());
}

TEST(CertificateInfoTest, EveryFieldOfAnIssuedEcCertificate) {
  CertificateSpec root_spec = CertificateSpec::authority("Info Root");
  const auto root = issue_certificate(root_spec);

  CertificateSpec spec;
  spec.organization = "Example Org";
  spec.common_name = "J\xc3\xb6rg M\xc3\xbcller";  // UTF-8 "Jörg Müller"
  spec.subject_email = "subject-only@example.com";
  spec.emails = {"Alice@Example.COM", "alice@example.com", "bob@example.com"};
  spec.dns_names = {"host.example.com"};
  spec.key_kind = "ec-p256";
  spec.key_usages = {"digitalSignature", "keyAgreement"};
  spec.extended_key_usages = {"emailProtection", "clientAuth", "1.3.6.1.4.1.311.10.3.4"};
  spec.serial = 0x1234abcd;
  spec.base_time = kBase;
  spec.issued_by(root);
  const auto leaf = issue_certificate(spec);

  const CertificateDescription r = describe_certificate(leaf.cert.get());
  const std::vector<unsigned char> der = test::der(leaf.cert.get());
  EXPECT_EQ(r.der, der);
  EXPECT_EQ(r.sha256, digest_hex(der, EVP_sha256()));
  EXPECT_EQ(r.sha1, digest_hex(der, EVP_sha1()));
  EXPECT_EQ(r.sha256.size(), 64u);
  EXPECT_EQ(r.sha256, sha256_fingerprint(leaf.cert.get()));
  EXPECT_EQ(r.subject,
            "emailAddress=subject-only@example.com,CN=J\xc3\xb6rg M\xc3\xbcller,O=Example Org");
  EXPECT_EQ(r.issuer, "CN=Info Root");
  EXPECT_EQ(r.serial, "1234abcd");
  EXPECT_EQ(r.subject_key_id, key_hash_hex(leaf.cert.get()));
  EXPECT_EQ(r.authority_key_id, key_hash_hex(root.cert.get()));
  // SAN rfc822Names only, lowercased, once each; the subject's emailAddress is not one.
  EXPECT_EQ(r.emails, (std::vector<std::string>{"alice@example.com", "bob@example.com"}));
  EXPECT_EQ(r.not_before, kBase - kDay);
  EXPECT_EQ(r.not_after, kBase + 365 * kDay);
  EXPECT_EQ(r.key_algorithm, "EC");
  EXPECT_EQ(r.key_bits, 256);
  EXPECT_EQ(r.curve, "P-256");
  EXPECT_EQ(r.key_usages, (std::vector<std::string>{"digitalSignature", "keyAgreement"}));
  EXPECT_EQ(r.extended_key_usages,
            (std::vector<std::string>{"emailProtection", "clientAuth", "1.3.6.1.4.1.311.10.3.4"}));
  EXPECT_TRUE(r.can_sign);
  EXPECT_TRUE(r.can_encrypt);
  EXPECT_FALSE(r.is_ca);
  // The store's id and token key are not part of what a certificate says (no such fields).

  const CertificateDescription ca = describe_certificate(root.cert.get());
  EXPECT_TRUE(ca.is_ca);
  EXPECT_EQ(ca.subject, "CN=Info Root");
  EXPECT_EQ(ca.issuer, "CN=Info Root");
  EXPECT_TRUE(ca.emails.empty());
  EXPECT_EQ(ca.key_usages, (std::vector<std::string>{"keyCertSign", "cRLSign"}));
  EXPECT_TRUE(ca.extended_key_usages.empty());
  EXPECT_FALSE(ca.can_sign);
  EXPECT_FALSE(ca.can_encrypt);
}

TEST(CertificateInfoTest, RsaKeyAndUsages) {
  CertificateSpec spec = CertificateSpec::smime("rsa@example.com");
  spec.key_usages = {"keyEncipherment"};
  spec.extended_key_usages = {};
  spec.serial = 1;
  const CertificateDescription r = describe_certificate(issue_certificate(spec).cert.get());
  EXPECT_EQ(r.key_algorithm, "RSA");
  EXPECT_EQ(r.key_bits, 2048);
  EXPECT_EQ(r.curve, "");
  EXPECT_EQ(r.serial, "01");
  EXPECT_EQ(r.key_usages, (std::vector<std::string>{"keyEncipherment"}));
  EXPECT_TRUE(r.extended_key_usages.empty());
  EXPECT_FALSE(r.can_sign);
  EXPECT_TRUE(r.can_encrypt);
}

TEST(CertificateInfoTest, EncryptionUsageDependsOnKeyType) {
  CertificateSpec rsa = CertificateSpec::smime("a@example.com");
  rsa.key_usages = {"keyAgreement"};  // meaningless for RSA
  EXPECT_FALSE(describe_certificate(issue_certificate(rsa).cert.get()).can_encrypt);

  CertificateSpec ec = CertificateSpec::smime("b@example.com", "ec-p384");
  ec.key_usages = {"nonRepudiation", "keyEncipherment"};  // meaningless for EC
  const CertificateDescription r = describe_certificate(issue_certificate(ec).cert.get());
  EXPECT_FALSE(r.can_encrypt);
  EXPECT_TRUE(r.can_sign);  // nonRepudiation
  EXPECT_EQ(r.curve, "P-384");
  EXPECT_EQ(r.key_bits, 384);
}

TEST(CertificateInfoTest, OtherKeyTypesKeepOpensslName) {
  CertificateSpec spec = CertificateSpec::smime("ed@example.com", "ed25519");
  const CertificateDescription r = describe_certificate(issue_certificate(spec).cert.get());
  EXPECT_EQ(r.key_algorithm, "ED25519");
  EXPECT_EQ(r.curve, "");
}

TEST(CertificateInfoTest, CaWithoutKeyUsageCanSign) {
  CertificateSpec spec = CertificateSpec::authority("Old Style CA");
  spec.key_usages = {};
  const CertificateDescription r = describe_certificate(issue_certificate(spec).cert.get());
  EXPECT_TRUE(r.is_ca);
  EXPECT_TRUE(r.key_usages.empty());
  EXPECT_TRUE(r.can_sign);
}

TEST(CertificateInfoTest, LargeSerialAndMissingKeyIdentifiers) {
  CertificateSpec spec = CertificateSpec::smime("big@example.com", "ec-p256");
  spec.serial = 0xfedcba9876543210ULL;
  EXPECT_EQ(describe_certificate(issue_certificate(spec).cert.get()).serial, "fedcba9876543210");

  EvpPkeyPtr key = test::generate_software_key("ec-p256");
  X509Ptr plain = test::self_signed_certificate(key.get());  // SKI only, no AKI, no SAN
  const CertificateDescription r = describe_certificate(plain.get());
  EXPECT_EQ(r.subject_key_id, key_hash_hex(plain.get()));
  EXPECT_EQ(r.authority_key_id, "");
  EXPECT_TRUE(r.emails.empty());
  EXPECT_TRUE(r.key_usages.empty());
  EXPECT_FALSE(r.can_sign);
  EXPECT_FALSE(r.is_ca);
}

TEST(CertificateInfoTest, ValidityAt) {
  CertificateDescription r;
  r.not_before = 1000;
  r.not_after = 2000;
  EXPECT_EQ(validity_at(r, 999), Validity::not_yet_valid);
  EXPECT_EQ(validity_at(r, 1000), Validity::valid);
  EXPECT_EQ(validity_at(r, 2000), Validity::valid);
  EXPECT_EQ(validity_at(r, 2001), Validity::expired);
  EXPECT_STREQ(to_string(Validity::valid), "valid");
  EXPECT_STREQ(to_string(Validity::expired), "expired");
  EXPECT_STREQ(to_string(Validity::not_yet_valid), "not_yet_valid");

  CertificateSpec expired = CertificateSpec::smime("old@example.com", "ec-p256");
  expired.not_before_days = -30;
  expired.not_after_days = -1;
  const auto record = describe_certificate(issue_certificate(expired).cert.get());
  EXPECT_EQ(validity_at(record, std::time(nullptr)), Validity::expired);
}

TEST(CertificateInfoTest, ParseDerCertificate) {
  CertificateSpec spec = CertificateSpec::smime("der@example.com", "ec-p256");
  const auto issued = issue_certificate(spec);
  std::vector<unsigned char> der = test::der(issued.cert.get());
  X509Ptr parsed = parse_der_certificate(der);
  EXPECT_EQ(sha256_fingerprint(parsed.get()), sha256_fingerprint(issued.cert.get()));

  der.push_back(0);
  EXPECT_THROW(parse_der_certificate(der), Error);
  der.erase(der.begin() + static_cast<long>(der.size() / 2), der.end());
  try {
    parse_der_certificate(der);
    FAIL() << "truncated DER accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
  }
}

}  // namespace
}  // namespace smime::certs
