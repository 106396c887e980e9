// Format detection of certificate imports (SPEC §6): every accepted format, and clear
// refusals naming the formats for everything else.
#include "smime/certs/certificate_input.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <algorithm>
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

// A small PKI shared by the tests: generating keys is the slow part.
class CertificateInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new IssuedCertificate(issue_certificate(CertificateSpec::authority("Input Root")));
    CertificateSpec intermediate = CertificateSpec::authority("Input Intermediate");
    intermediate_ = new IssuedCertificate(issue_certificate(intermediate.issued_by(*root_)));
    CertificateSpec alice = CertificateSpec::smime("alice@example.com", "ec-p256");
    alice_ = new IssuedCertificate(issue_certificate(alice.issued_by(*intermediate_)));
    CertificateSpec bob = CertificateSpec::smime("bob@example.com", "ec-p256");
    bob_ = new IssuedCertificate(issue_certificate(bob.issued_by(*intermediate_)));
    CertificateSpec no_san = CertificateSpec::smime("nosan@example.com", "ec-p256");
    no_san.emails.clear();
    no_san_ = new IssuedCertificate(issue_certificate(no_san.issued_by(*intermediate_)));
  }
  static void TearDownTestSuite() {
    for (IssuedCertificate** p : {&root_, &intermediate_, &alice_, &bob_, &no_san_}) {
      delete *p;
      *p = nullptr;
    }
  }

  static CertificateInput read(const std::string& text, const SecretString* pass = nullptr) {
    const auto bytes = test::as_bytes(text);
    return read_certificate_input(bytes, pass);
  }
  static CertificateInput read(const std::vector<unsigned char>& bytes,
                               const SecretString* pass = nullptr) {
    return read_certificate_input(bytes, pass);
  }

  static void expect_same(const X509* expected, const X509Ptr& actual) {
    ASSERT_TRUE(actual);
    EXPECT_EQ(sha256_fingerprint(expected), sha256_fingerprint(actual.get()));
  }

  // The refusal must be invalid_input, name the accepted formats and not be OpenSSL's text.
  template <class Input>
  static Error expect_refused(const Input& input, const SecretString* pass = nullptr) {
    try {
      read(input, pass);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input) << e.what();
      EXPECT_NE(std::string(e.what()).find(kAcceptedCertificateFormats), std::string::npos)
          << e.what();
      EXPECT_EQ(std::string(e.what()).find("error:"), std::string::npos) << e.what();
      return e;
    }
    ADD_FAILURE() << "input was accepted";
    return Error(ErrorCode::internal, "accepted");
  }

  static inline IssuedCertificate* root_ = nullptr;
  static inline IssuedCertificate* intermediate_ = nullptr;
  static inline IssuedCertificate* alice_ = nullptr;
  static inline IssuedCertificate* bob_ = nullptr;
  static inline IssuedCertificate* no_san_ = nullptr;
};

TEST_F(CertificateInputTest, PemBundleOfFiveReadsAllInOrder) {
  const std::vector<const X509*> all = {root_->cert.get(), intermediate_->cert.get(),
                                        alice_->cert.get(), bob_->cert.get(), no_san_->cert.get()};
  const CertificateInput input = read(test::pem_bundle(all));
  ASSERT_EQ(input.certificates.size(), 5u);
  for (std::size_t i = 0; i < all.size(); ++i) expect_same(all[i], input.certificates[i]);
  EXPECT_TRUE(input.problems.empty());
  EXPECT_FALSE(input.private_key);
}

TEST_F(CertificateInputTest, PemWithTextAroundBlocksAndCrlfLineEnds) {
  std::string text = "subject=CN = Input Root\nissuer=CN = Input Root\n" +
                     test::pem(root_->cert.get()) + "Bag Attributes\n    friendlyName: bob\n" +
                     test::pem(bob_->cert.get());
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const CertificateInput input = read(crlf);
  ASSERT_EQ(input.certificates.size(), 2u);
  expect_same(root_->cert.get(), input.certificates[0]);
  expect_same(bob_->cert.get(), input.certificates[1]);
}

TEST_F(CertificateInputTest, PemWithByteOrderMarkOrOnOneLine) {
  const CertificateInput with_bom = read("\xEF\xBB\xBF" + test::pem(alice_->cert.get()));
  ASSERT_EQ(with_bom.certificates.size(), 1u);

  // Pasted through a single-line form field: newlines became spaces.
  std::string one_line = test::pem(alice_->cert.get()) + test::pem(bob_->cert.get());
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  const CertificateInput input = read(one_line);
  ASSERT_EQ(input.certificates.size(), 2u)
      << (input.problems.empty() ? "" : input.problems[0].message);
  expect_same(alice_->cert.get(), input.certificates[0]);
  expect_same(bob_->cert.get(), input.certificates[1]);
}

TEST_F(CertificateInputTest, SuccessLeavesTheOpensslErrorQueueEmpty) {
  ERR_clear_error();
  read(test::der(alice_->cert.get()));
  read(test::pkcs7_certs_only({alice_->cert.get()}, false));
  const SecretString pass("pw");
  read(test::pkcs12(bob_->cert.get(), bob_->key.get(), {}, "pw", false), &pass);
  std::string broken = test::pem(bob_->cert.get());
  broken.erase(broken.find('\n') + 1, 65 * 2);
  EXPECT_EQ(read(broken + test::pem(alice_->cert.get())).problems.size(), 1u);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(CertificateInputTest, TrustedCertificateBlock) {
  const std::string text = test::pem_trusted(alice_->cert.get());
  ASSERT_NE(text.find("BEGIN TRUSTED CERTIFICATE"), std::string::npos);
  const CertificateInput input = read(text);
  ASSERT_EQ(input.certificates.size(), 1u);
  expect_same(alice_->cert.get(), input.certificates[0]);
}

TEST_F(CertificateInputTest, DerCertificate) {
  const CertificateInput input = read(test::der(alice_->cert.get()));
  ASSERT_EQ(input.certificates.size(), 1u);
  expect_same(alice_->cert.get(), input.certificates[0]);
}

TEST_F(CertificateInputTest, Pkcs7PemAndDer) {
  const std::vector<const X509*> certs = {alice_->cert.get(), intermediate_->cert.get(),
                                          root_->cert.get()};
  for (bool pem : {true, false}) {
    SCOPED_TRACE(pem ? "PEM" : "DER");
    const CertificateInput input = read(test::pkcs7_certs_only(certs, pem));
    ASSERT_EQ(input.certificates.size(), 3u);
    EXPECT_TRUE(input.problems.empty());
    for (const X509* expected : certs) {
      bool found = false;
      for (const auto& cert : input.certificates) {
        found = found || sha256_fingerprint(cert.get()) == sha256_fingerprint(expected);
      }
      EXPECT_TRUE(found);
    }
  }
}

TEST_F(CertificateInputTest, Pkcs12WithPassphraseReturnsKeyAndChain) {
  const auto p12 = test::pkcs12(alice_->cert.get(), alice_->key.get(),
                                {intermediate_->cert.get(), root_->cert.get()}, "s3cret pass");
  const SecretString pass("s3cret pass");
  const CertificateInput input = read(p12, &pass);
  ASSERT_EQ(input.certificates.size(), 3u);
  expect_same(alice_->cert.get(), input.certificates[0]);  // the key's certificate first
  ASSERT_TRUE(input.private_key);
  EXPECT_TRUE(test::same_public_key(input.private_key.get(), alice_->key.get()));
  std::vector<std::string> rest = {sha256_fingerprint(input.certificates[1].get()),
                                   sha256_fingerprint(input.certificates[2].get())};
  std::sort(rest.begin(), rest.end());
  std::vector<std::string> expected = {sha256_fingerprint(intermediate_->cert.get()),
                                       sha256_fingerprint(root_->cert.get())};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(rest, expected);
}

TEST_F(CertificateInputTest, Pkcs12WithoutPassphrase) {
  const auto p12 = test::pkcs12(bob_->cert.get(), bob_->key.get(), {}, nullptr);
  const CertificateInput input = read(p12);
  ASSERT_EQ(input.certificates.size(), 1u);
  expect_same(bob_->cert.get(), input.certificates[0]);
  ASSERT_TRUE(input.private_key);
  EXPECT_TRUE(test::same_public_key(input.private_key.get(), bob_->key.get()));

  // A passphrase given for an unprotected file does not get in the way.
  const SecretString pass("not needed");
  EXPECT_EQ(read(p12, &pass).certificates.size(), 1u);
}

TEST_F(CertificateInputTest, Pkcs12WithoutMacOrEncryption) {
  const SecretString pass("pw");
  const SecretString wrong("wrong");
  // -nomac: only decryption can tell whether the passphrase is right.
  const auto no_mac = test::pkcs12(bob_->cert.get(), bob_->key.get(), {}, "pw", false);
  const CertificateInput input = read(no_mac, &pass);
  ASSERT_EQ(input.certificates.size(), 1u);
  EXPECT_TRUE(test::same_public_key(input.private_key.get(), bob_->key.get()));
  EXPECT_THROW(read(no_mac, &wrong), Error);
  EXPECT_THROW(read(no_mac), Error);

  const auto plain =
      test::pkcs12(bob_->cert.get(), bob_->key.get(), {root_->cert.get()}, nullptr, false, false);
  EXPECT_EQ(read(plain).certificates.size(), 2u);
  EXPECT_EQ(read(plain, &wrong).certificates.size(), 2u);
}

TEST_F(CertificateInputTest, Pkcs12WithCertificatesOnly) {
  const SecretString pass("pw");
  const auto certs_only =
      test::pkcs12(nullptr, nullptr, {root_->cert.get(), alice_->cert.get()}, "pw");
  const CertificateInput input = read(certs_only, &pass);
  EXPECT_FALSE(input.private_key);
  ASSERT_EQ(input.certificates.size(), 2u);
  expect_same(root_->cert.get(), input.certificates[0]);
  expect_same(alice_->cert.get(), input.certificates[1]);
}

TEST_F(CertificateInputTest, Pkcs12WrongOrMissingPassphrase) {
  const auto p12 = test::pkcs12(bob_->cert.get(), bob_->key.get(), {}, "right");
  const SecretString wrong("wrong");
  try {
    read(p12, &wrong);
    FAIL() << "wrong passphrase accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_passphrase);
    EXPECT_STREQ(e.what(), "The PKCS#12 passphrase is wrong");
  }
  try {
    read(p12);
    FAIL() << "missing passphrase accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_passphrase);
    EXPECT_STREQ(e.what(), "The PKCS#12 file requires a passphrase");
  }
}

TEST_F(CertificateInputTest, EmptyFile) {
  const Error e = expect_refused(std::string());
  EXPECT_EQ(std::string(e.what()),
            std::string("The file is empty. Accepted formats: ") + kAcceptedCertificateFormats);
  expect_refused(std::string(" \r\n\t\n"));
}

TEST_F(CertificateInputTest, BinaryGarbage) {
  std::vector<unsigned char> garbage(300);
  for (std::size_t i = 0; i < garbage.size(); ++i) {
    garbage[i] = static_cast<unsigned char>((i * 151 + 7) % 251);
  }
  garbage[0] = 0x9c;
  expect_refused(garbage);
  garbage[0] = 0x30;  // starts like DER, is not
  expect_refused(garbage);
  expect_refused(std::string("just some text, no certificate here\n"));
}

TEST_F(CertificateInputTest, PrivateKeyPemAlone) {
  const Error e = expect_refused(test::pem_pkcs8(alice_->key.get()));
  EXPECT_NE(std::string(e.what()).find("PRIVATE KEY"), std::string::npos) << e.what();
  expect_refused(test::der_pkcs8(alice_->key.get()));
}

TEST_F(CertificateInputTest, PrivateKeyNextToCertificateIsSkipped) {
  const std::string text = test::pem_pkcs8(alice_->key.get()) + test::pem(alice_->cert.get());
  const CertificateInput input = read(text);
  ASSERT_EQ(input.certificates.size(), 1u);
  EXPECT_TRUE(input.problems.empty());
  EXPECT_FALSE(input.private_key);
}

TEST_F(CertificateInputTest, InvalidUtf8InPem) {
  std::string text = test::pem(alice_->cert.get());
  text.insert(text.find('\n') + 1, "\xff\xfe caf\xe9\n");
  const Error e = expect_refused(text);
  EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();

  std::string with_nul = test::pem(alice_->cert.get());
  with_nul[40] = '\0';
  expect_refused(with_nul);
}

TEST_F(CertificateInputTest, TruncatedDer) {
  std::vector<unsigned char> der = test::der(alice_->cert.get());
  der.erase(der.end() - 20, der.end());
  const Error e = expect_refused(der);
  EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
}

TEST_F(CertificateInputTest, DerWithTrailingBytes) {
  std::vector<unsigned char> der = test::der(alice_->cert.get());
  der.push_back(0x00);
  der.push_back(0x01);
  expect_refused(der);
}

TEST_F(CertificateInputTest, CorruptBlockAmongGoodOnesIsAProblem) {
  std::string broken = test::pem(bob_->cert.get());
  // Cut the base64 in half: the block still has BEGIN and END lines.
  const std::size_t body = broken.find('\n') + 1;
  ASSERT_GT(broken.find("-----END"), body + 65 * 5);
  broken.erase(body + 65, 65 * 3);  // whole 64-character lines
  const std::string text = test::pem(root_->cert.get()) + test::pem_pkcs8(bob_->key.get()) +
                           broken + test::pem(alice_->cert.get());
  const CertificateInput input = read(text);
  ASSERT_EQ(input.certificates.size(), 2u);
  expect_same(root_->cert.get(), input.certificates[0]);
  expect_same(alice_->cert.get(), input.certificates[1]);
  ASSERT_EQ(input.problems.size(), 1u);
  EXPECT_EQ(input.problems[0].item, "PEM block 3");
  EXPECT_EQ(input.problems[0].message, "not a valid certificate (truncated or corrupt)");
}

TEST_F(CertificateInputTest, BlockWithoutEndLineIsAProblem) {
  std::string cut = test::pem(bob_->cert.get());
  cut.erase(cut.find("-----END"));
  const CertificateInput input = read(test::pem(alice_->cert.get()) + cut);
  ASSERT_EQ(input.certificates.size(), 1u);
  ASSERT_EQ(input.problems.size(), 1u);
  EXPECT_EQ(input.problems[0].item, "PEM block 2");
}

TEST_F(CertificateInputTest, OnlyCorruptCertificateBlocksIsRefused) {
  std::string broken = test::pem(bob_->cert.get());
  broken.erase(broken.find('\n') + 1, 65 * 4);
  const Error e = expect_refused(broken);
  EXPECT_NE(std::string(e.what()).find("PEM block 1"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace smime::certs
