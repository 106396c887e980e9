#include "smime/common/private_key_decoder.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "smime/common/error.hpp"
#include "support/test_keys.hpp"

namespace smime {
namespace {

constexpr std::string_view kPassphrase = "correct horse battery staple";

// Key generation dominates the run time, so each kind is made once for the whole binary.
EVP_PKEY* key_of(const std::string& kind) {
  static std::map<std::string, EvpPkeyPtr> cache;
  auto& slot = cache[kind];
  if (!slot) {
    slot = test::generate_software_key(kind);
  }
  return slot.get();
}

std::span<const unsigned char> span_of(std::string_view text) {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

// The Error that decoding throws; a test failure when decoding succeeds.
Error decode_error(std::span<const unsigned char> input, const SecretString* passphrase = nullptr) {
  try {
    decode_private_key(input, passphrase);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "decoding unexpectedly succeeded";
  return Error(ErrorCode::internal, "no error");
}

void expect_not_a_key(const Error& e) {
  EXPECT_EQ(e.code(), ErrorCode::invalid_input) << e.detail();
  const std::string message = e.what();
  EXPECT_NE(message.find("Not a private key"), std::string::npos) << message;
  for (const char* format :
       {"PKCS#1 (RSA PRIVATE KEY)", "PKCS#8 (PRIVATE KEY)", "SEC1 (EC PRIVATE KEY)",
        "encrypted PKCS#8 (ENCRYPTED PRIVATE KEY)", "PEM or DER"}) {
    EXPECT_NE(message.find(format), std::string::npos) << "missing " << format;
  }
  // OpenSSL's own text belongs in openssl_errors(), never in the message.
  EXPECT_EQ(message.find("error:"), std::string::npos) << message;
}

// The decoded key must hold the private half of original: sign with it, verify with original.
void expect_same_key_pair(const EVP_PKEY* original, EVP_PKEY* decoded) {
  ASSERT_NE(decoded, nullptr);
  EXPECT_TRUE(test::same_public_key(original, decoded));
  const unsigned char message[] = "private key round trip";
  EvpMdCtxPtr sign_ctx(EVP_MD_CTX_new());
  ASSERT_EQ(
      EVP_DigestSignInit_ex(sign_ctx.get(), nullptr, "SHA256", nullptr, nullptr, decoded, nullptr),
      1);
  std::size_t length = 0;
  ASSERT_EQ(EVP_DigestSign(sign_ctx.get(), nullptr, &length, message, sizeof message), 1);
  std::vector<unsigned char> signature(length);
  ASSERT_EQ(EVP_DigestSign(sign_ctx.get(), signature.data(), &length, message, sizeof message), 1);
  signature.resize(length);

  EvpMdCtxPtr verify_ctx(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestVerifyInit_ex(verify_ctx.get(), nullptr, "SHA256", nullptr, nullptr,
                                    const_cast<EVP_PKEY*>(original), nullptr),
            1);
  EXPECT_EQ(EVP_DigestVerify(verify_ctx.get(), signature.data(), signature.size(), message,
                             sizeof message),
            1);
}

bool contains(std::span<const unsigned char> haystack, std::span<const unsigned char> needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

// ---- every accepted format, for RSA and EC ----

struct FormatCase {
  std::string kind;
  std::string format;
};

std::vector<unsigned char> encode_as(const EVP_PKEY* key, const std::string& format) {
  if (format == "pem-pkcs1") {
    return test::as_bytes(test::pem_pkcs1(key));
  }
  if (format == "pem-sec1") {
    return test::as_bytes(test::pem_sec1(key));
  }
  if (format == "pem-pkcs8") {
    return test::as_bytes(test::pem_pkcs8(key));
  }
  if (format == "der-pkcs1") {
    return test::der_pkcs1(key);
  }
  if (format == "der-sec1") {
    return test::der_sec1(key);
  }
  if (format == "der-pkcs8") {
    return test::der_pkcs8(key);
  }
  ADD_FAILURE() << "unknown format " << format;
  return {};
}

class AcceptedFormatTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(AcceptedFormatTest, RoundTripsToTheSameKeyPair) {
  EVP_PKEY* original = key_of(GetParam().kind);
  const std::vector<unsigned char> encoded = encode_as(original, GetParam().format);
  EvpPkeyPtr decoded = decode_private_key(encoded);
  expect_same_key_pair(original, decoded.get());
  EXPECT_EQ(EVP_PKEY_get_base_id(decoded.get()), EVP_PKEY_get_base_id(original));
  // Decoding noise must not be left behind for an unrelated later error report.
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST_P(AcceptedFormatTest, IgnoresAPassphraseForAnUnencryptedKey) {
  EVP_PKEY* original = key_of(GetParam().kind);
  const SecretString passphrase(kPassphrase);
  EvpPkeyPtr decoded = decode_private_key(encode_as(original, GetParam().format), &passphrase);
  EXPECT_TRUE(test::same_public_key(original, decoded.get()));
}

INSTANTIATE_TEST_SUITE_P(
    Formats, AcceptedFormatTest,
    ::testing::Values(FormatCase{"rsa-2048", "pem-pkcs1"}, FormatCase{"rsa-2048", "pem-pkcs8"},
                      FormatCase{"rsa-2048", "der-pkcs1"}, FormatCase{"rsa-2048", "der-pkcs8"},
                      FormatCase{"ec-p256", "pem-sec1"}, FormatCase{"ec-p256", "pem-pkcs8"},
                      FormatCase{"ec-p256", "der-sec1"}, FormatCase{"ec-p256", "der-pkcs8"},
                      FormatCase{"ec-p384", "pem-sec1"}, FormatCase{"ec-p384", "pem-pkcs8"},
                      FormatCase{"ec-p384", "der-sec1"}, FormatCase{"ec-p384", "der-pkcs8"},
                      FormatCase{"ec-p521", "pem-sec1"}, FormatCase{"ec-p521", "der-pkcs8"}),
    [](const ::testing::TestParamInfo<FormatCase>& info) {
      std::string name = info.param.kind + "_" + info.param.format;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(PrivateKeyDecoder, AcceptsAKeyPastedOnOneLine) {
  // PEM through a web form or an environment variable: the line breaks became spaces, as the
  // certificate import already accepts.
  EvpPkeyPtr key = test::generate_software_key("ec-p256");
  std::string pem = test::pem_pkcs8(key.get());
  std::replace(pem.begin(), pem.end(), '\n', ' ');
  EvpPkeyPtr decoded = decode_private_key(test::as_bytes(pem), nullptr);
  EXPECT_TRUE(test::same_public_key(decoded.get(), key.get()));
}

TEST(PrivateKeyDecoder, ACutOffKeyBlockIsNotAKey) {
  EvpPkeyPtr key = test::generate_software_key("ec-p256");
  std::string pem = test::pem_pkcs8(key.get());
  pem.resize(pem.find("-----END"));
  EXPECT_THROW(decode_private_key(test::as_bytes(pem), nullptr), Error);
}

TEST(PrivateKeyDecoder, AcceptsRsa3072And4096) {
  for (const char* kind : {"rsa-3072", "rsa-4096"}) {
    EVP_PKEY* original = key_of(kind);
    EvpPkeyPtr decoded = decode_private_key(test::as_bytes(test::pem_pkcs8(original)));
    EXPECT_TRUE(test::same_public_key(original, decoded.get())) << kind;
    EXPECT_EQ(EVP_PKEY_get_bits(decoded.get()), EVP_PKEY_get_bits(original)) << kind;
  }
}

// ---- encrypted keys ----

class EncryptedKeyTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::vector<unsigned char> encrypted(const EVP_PKEY* key) const {
    if (GetParam() == "pem-pkcs8") {
      return test::as_bytes(test::pem_encrypted_pkcs8(key, kPassphrase));
    }
    if (GetParam() == "der-pkcs8") {
      return test::der_encrypted_pkcs8(key, kPassphrase);
    }
    return test::as_bytes(test::pem_traditional_encrypted(key, kPassphrase));
  }
};

TEST_P(EncryptedKeyTest, RightPassphraseDecodes) {
  for (const char* kind : {"rsa-2048", "ec-p256"}) {
    EVP_PKEY* original = key_of(kind);
    const SecretString passphrase(kPassphrase);
    EvpPkeyPtr decoded = decode_private_key(encrypted(original), &passphrase);
    expect_same_key_pair(original, decoded.get());
  }
}

TEST_P(EncryptedKeyTest, WrongPassphraseIsReportedAsWrong) {
  for (const char* kind : {"rsa-2048", "ec-p256"}) {
    const SecretString wrong("Correct horse battery staple");
    const Error e = decode_error(encrypted(key_of(kind)), &wrong);
    EXPECT_EQ(e.code(), ErrorCode::bad_passphrase) << kind << ": " << e.detail();
    EXPECT_STREQ(e.what(), "The passphrase for the private key is wrong");
  }
}

TEST_P(EncryptedKeyTest, MissingPassphraseIsReportedAsRequired) {
  const std::vector<unsigned char> input = encrypted(key_of("rsa-2048"));
  const Error missing = decode_error(input);
  EXPECT_EQ(missing.code(), ErrorCode::bad_passphrase);
  EXPECT_STREQ(missing.what(), "The private key is encrypted; a passphrase is required");

  const SecretString empty;
  const Error empty_error = decode_error(input, &empty);
  EXPECT_EQ(empty_error.code(), ErrorCode::bad_passphrase);
  EXPECT_STREQ(empty_error.what(), "The private key is encrypted; a passphrase is required");
}

INSTANTIATE_TEST_SUITE_P(Encodings, EncryptedKeyTest,
                         ::testing::Values("pem-pkcs8", "der-pkcs8", "pem-traditional"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(PrivateKeyDecoder, TraditionalEncryptionReallyUsesProcTypeHeaders) {
  // Guards the test input itself: the legacy format is what "openssl genrsa -aes256" writes.
  const std::string pem = test::pem_traditional_encrypted(key_of("rsa-2048"), kPassphrase);
  EXPECT_NE(pem.find("-----BEGIN RSA PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(pem.find("Proc-Type: 4,ENCRYPTED"), std::string::npos);
  EXPECT_NE(pem.find("DEK-Info: AES-256-CBC"), std::string::npos);
}

TEST(PrivateKeyDecoder, DamagedEncryptedPkcs8IsNotBlamedOnThePassphrase) {
  std::string pem = test::pem_encrypted_pkcs8(key_of("rsa-2048"), kPassphrase);
  // Drop three whole base64 lines from the middle: the armour still looks fine.
  const std::size_t from = pem.find('\n', pem.find('\n') + 1) + 1;
  std::size_t to = from;
  for (int i = 0; i < 3; ++i) {
    to = pem.find('\n', to) + 1;
  }
  pem.erase(from, to - from);
  const SecretString passphrase(kPassphrase);
  expect_not_a_key(decode_error(span_of(pem), &passphrase));
  expect_not_a_key(decode_error(span_of(pem)));
}

TEST(PrivateKeyDecoder, DamagedTraditionalEncryptionIsNotBlamedOnThePassphrase) {
  std::string pem = test::pem_traditional_encrypted(key_of("rsa-2048"), kPassphrase);
  // Three bytes (one base64 quad) fewer: the ciphertext no longer fills whole AES blocks.
  pem.erase(pem.find("\n\n") + 2, 4);
  const SecretString passphrase(kPassphrase);
  expect_not_a_key(decode_error(span_of(pem), &passphrase));
  expect_not_a_key(decode_error(span_of(pem)));
}

// ---- key types and curves we do not accept ----

void expect_unsupported_type(const EVP_PKEY* key, const std::string& type_name) {
  const Error e = decode_error(test::as_bytes(test::pem_pkcs8(key)));
  EXPECT_EQ(e.code(), ErrorCode::unsupported) << e.detail();
  EXPECT_EQ(std::string(e.what()),
            "Unsupported private key type " + type_name + ": only RSA and EC keys are accepted");
}

TEST(PrivateKeyDecoder, RejectsEd25519NamingTheType) {
  expect_unsupported_type(key_of("ed25519"), "ED25519");
}

TEST(PrivateKeyDecoder, RejectsDsaNamingTheType) {
  expect_unsupported_type(key_of("dsa"), "DSA");
}

TEST(PrivateKeyDecoder, RejectsEd448AndX25519) {
  expect_unsupported_type(key_of("ed448"), "ED448");
  expect_unsupported_type(key_of("x25519"), "X25519");
}

TEST(PrivateKeyDecoder, RejectsUnsupportedTypeEvenWhenEncrypted) {
  const SecretString passphrase(kPassphrase);
  const Error e = decode_error(
      test::as_bytes(test::pem_encrypted_pkcs8(key_of("ed25519"), kPassphrase)), &passphrase);
  EXPECT_EQ(e.code(), ErrorCode::unsupported);
  EXPECT_NE(std::string(e.what()).find("ED25519"), std::string::npos);
}

TEST(PrivateKeyDecoder, RejectsCurvesOtherThanNistP256P384P521) {
  for (const std::string& encoded :
       {test::pem_sec1(key_of("ec-secp256k1")), test::pem_pkcs8(key_of("ec-secp256k1"))}) {
    const Error e = decode_error(span_of(encoded));
    EXPECT_EQ(e.code(), ErrorCode::unsupported) << e.detail();
    const std::string message = e.what();
    EXPECT_NE(message.find("secp256k1"), std::string::npos) << message;
    EXPECT_NE(message.find("P-256, P-384 and P-521"), std::string::npos) << message;
  }
}

// ---- inputs that are not private keys ----

TEST(PrivateKeyDecoder, RejectsEmptyInput) {
  expect_not_a_key(decode_error({}));
}

TEST(PrivateKeyDecoder, RejectsGarbage) {
  expect_not_a_key(decode_error(span_of("hello, I am not a key\n")));
  const std::vector<unsigned char> binary = {0x30, 0x03, 0x02, 0x01, 0x05, 0xff, 0x00, 0x13};
  expect_not_a_key(decode_error(binary));
  expect_not_a_key(
      decode_error(span_of("-----BEGIN PRIVATE KEY-----\n!!!!\n"
                           "-----END PRIVATE KEY-----\n")));
}

TEST(PrivateKeyDecoder, RejectsTruncatedPem) {
  const std::string pem = test::pem_pkcs8(key_of("rsa-2048"));
  expect_not_a_key(decode_error(span_of(std::string_view(pem).substr(0, pem.size() / 2))));
  // Body cut short but the END line still present.
  std::string cut = pem;
  const std::size_t body = cut.find('\n') + 1;
  cut.erase(body, (cut.find("-----END") - body) / 2);
  expect_not_a_key(decode_error(span_of(cut)));
}

TEST(PrivateKeyDecoder, RejectsTruncatedDer) {
  for (std::vector<unsigned char> der :
       {test::der_pkcs8(key_of("ec-p256")), test::der_pkcs1(key_of("rsa-2048"))}) {
    der.resize(der.size() - 7);
    expect_not_a_key(decode_error(der));
  }
}

TEST(PrivateKeyDecoder, RejectsCertificates) {
  EVP_PKEY* key = key_of("ec-p256");
  X509Ptr certificate = test::self_signed_certificate(key);
  expect_not_a_key(decode_error(span_of(test::pem_certificate(certificate.get()))));
  expect_not_a_key(decode_error(test::der_certificate(certificate.get())));
}

TEST(PrivateKeyDecoder, RejectsPublicKeys) {
  for (const char* kind : {"rsa-2048", "ec-p256", "ed25519"}) {
    expect_not_a_key(decode_error(span_of(test::pem_public(key_of(kind)))));
    expect_not_a_key(decode_error(test::der_public(key_of(kind))));
  }
}

TEST(PrivateKeyDecoder, KeepsOpenSslReasonsOutOfTheMessage) {
  const Error e =
      decode_error(span_of("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
  expect_not_a_key(e);
  EXPECT_FALSE(e.openssl_errors().empty());
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

// ---- PEM files with more than the key ----

TEST(PrivateKeyDecoder, FindsTheKeyNextToACertificate) {
  EVP_PKEY* key = key_of("rsa-2048");
  X509Ptr certificate = test::self_signed_certificate(key);
  const std::string cert_pem = test::pem_certificate(certificate.get());
  for (const std::string& bundle :
       {cert_pem + test::pem_pkcs1(key), test::pem_pkcs8(key) + cert_pem,
        "Bag Attributes\n    friendlyName: x\n" + cert_pem + "subject=CN=test\n" +
            test::pem_pkcs8(key)}) {
    EvpPkeyPtr decoded = decode_private_key(span_of(bundle));
    EXPECT_TRUE(test::same_public_key(key, decoded.get()));
  }
}

TEST(PrivateKeyDecoder, FindsTheEncryptedKeyNextToACertificate) {
  EVP_PKEY* key = key_of("ec-p384");
  X509Ptr certificate = test::self_signed_certificate(key);
  const std::string bundle =
      test::pem_certificate(certificate.get()) + test::pem_encrypted_pkcs8(key, kPassphrase);
  const SecretString passphrase(kPassphrase);
  EvpPkeyPtr decoded = decode_private_key(span_of(bundle), &passphrase);
  EXPECT_TRUE(test::same_public_key(key, decoded.get()));
  EXPECT_EQ(decode_error(span_of(bundle)).code(), ErrorCode::bad_passphrase);
}

TEST(PrivateKeyDecoder, FindsTheKeyAfterEcParameters) {
  // What "openssl ecparam -genkey" writes.
  EVP_PKEY* key = key_of("ec-p256");
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_Parameters(bio.get(), key), 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  const std::string parameters(data, static_cast<std::size_t>(length));
  ASSERT_NE(parameters.find("-----BEGIN EC PARAMETERS-----"), std::string::npos);
  EvpPkeyPtr decoded = decode_private_key(span_of(parameters + test::pem_sec1(key)));
  EXPECT_TRUE(test::same_public_key(key, decoded.get()));
}

TEST(PrivateKeyDecoder, RefusesToGuessBetweenSeveralKeys) {
  const std::string two = test::pem_pkcs8(key_of("rsa-2048")) + test::pem_sec1(key_of("ec-p256"));
  const Error e = decode_error(span_of(two));
  EXPECT_EQ(e.code(), ErrorCode::invalid_input);
  EXPECT_NE(std::string(e.what()).find("more than one private key"), std::string::npos);
}

TEST(PrivateKeyDecoder, CertificateOnlyPemIsNotAKey) {
  X509Ptr certificate = test::self_signed_certificate(key_of("rsa-2048"));
  const std::string pem =
      test::pem_certificate(certificate.get()) + test::pem_public(key_of("ec-p256"));
  expect_not_a_key(decode_error(span_of(pem)));
}

// ---- encode_encrypted_pkcs8 ----

TEST(EncodeEncryptedPkcs8, DecodesWithThePassphraseOnly) {
  for (const char* kind : {"rsa-2048", "ec-p256", "ec-p384"}) {
    EVP_PKEY* key = key_of(kind);
    const SecretString passphrase(kPassphrase);
    const std::string pem = encode_encrypted_pkcs8(key, passphrase);
    EXPECT_TRUE(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")) << pem;

    EvpPkeyPtr decoded = decode_private_key(span_of(pem), &passphrase);
    expect_same_key_pair(key, decoded.get());

    EXPECT_EQ(decode_error(span_of(pem)).code(), ErrorCode::bad_passphrase);
    const SecretString wrong("not the passphrase");
    const Error e = decode_error(span_of(pem), &wrong);
    EXPECT_EQ(e.code(), ErrorCode::bad_passphrase);
    EXPECT_STREQ(e.what(), "The passphrase for the private key is wrong");
  }
}

TEST(EncodeEncryptedPkcs8, UsesPbes2WithPbkdf2AndAes256Cbc) {
  const SecretString passphrase(kPassphrase);
  const std::string pem = encode_encrypted_pkcs8(key_of("ec-p256"), passphrase);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  ASSERT_EQ(PEM_read_bio(bio.get(), &name, &header, &data, &length), 1);
  OpensslCharsPtr name_owner(name);
  OpensslCharsPtr header_owner(header);
  OpensslBytesPtr data_owner(data);
  const std::span<const unsigned char> der(data, static_cast<std::size_t>(length));
  // DER-encoded OBJECT IDENTIFIERs of PBES2, PBKDF2 and aes256-CBC.
  const std::vector<unsigned char> pbes2 = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                            0xf7, 0x0d, 0x01, 0x05, 0x0d};
  const std::vector<unsigned char> pbkdf2 = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                             0xf7, 0x0d, 0x01, 0x05, 0x0c};
  const std::vector<unsigned char> aes256cbc = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                0x65, 0x03, 0x04, 0x01, 0x2a};
  EXPECT_TRUE(contains(der, pbes2));
  EXPECT_TRUE(contains(der, pbkdf2));
  EXPECT_TRUE(contains(der, aes256cbc));
}

TEST(EncodeEncryptedPkcs8, RefusesAnEmptyPassphrase) {
  const SecretString empty;
  try {
    encode_encrypted_pkcs8(key_of("ec-p256"), empty);
    ADD_FAILURE() << "an empty passphrase was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
  }
}

TEST(EncodeEncryptedPkcs8, HandlesNonAsciiPassphrases) {
  const SecretString passphrase("pässwörd \xe2\x82\xac 🔑");
  const std::string pem = encode_encrypted_pkcs8(key_of("rsa-2048"), passphrase);
  EvpPkeyPtr decoded = decode_private_key(span_of(pem), &passphrase);
  EXPECT_TRUE(test::same_public_key(key_of("rsa-2048"), decoded.get()));
}

}  // namespace
}  // namespace smime
