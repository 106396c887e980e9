// Legacy incoming algorithms (issue 17 item 4) with the org key in SoftHSM2: messages that
// `openssl cms` encrypts with 3DES-CBC, AES-192-CBC, RC2-40/64/128 (through OpenSSL's legacy
// provider) or RSA-OAEP with a label decrypt through the token; outgoing mail never uses them,
// and the default library context still offers no RC2.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "engine_fixture.hpp"
#include "support/process.hpp"

namespace smime::test {
namespace {

constexpr const char* kBody = "Legacy cipher test.\r\n";

class EngineLegacyCiphersTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    org_ = token_identity("support@example.org", KeyAlgorithm::rsa_2048);
    write_file(scratch_.file("org.pem"), pem(org_.issued.cert.get()));
    write_file(scratch_.file("entity.txt"),
               std::string("Content-Type: text/plain; charset=us-ascii\r\n\r\n") + kBody);
  }

  // A message to the org certificate, encrypted by the openssl CLI with `options`.
  std::string openssl_encrypted(const std::vector<std::string>& options) {
    std::vector<std::string> argv = {"openssl",
                                     "cms",
                                     "-encrypt",
                                     "-provider",
                                     "legacy",
                                     "-provider",
                                     "default",
                                     "-in",
                                     scratch_.file("entity.txt"),
                                     "-from",
                                     "alice@example.com",
                                     "-to",
                                     org_.email,
                                     "-subject",
                                     "Legacy",
                                     "-out",
                                     scratch_.file("message.eml")};
    argv.insert(argv.end(), options.begin(), options.end());
    const ProcessResult run = run_process(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return read_file(scratch_.file("message.eml"));
  }

  void expect_decrypts(const std::vector<std::string>& options) {
    // -keyopt applies to the -recip before it.
    std::vector<std::string> all = {"-recip", scratch_.file("org.pem")};
    all.insert(all.end(), options.begin(), options.end());
    const std::string message = openssl_encrypted(all);
    ASSERT_FALSE(message.empty());
    const engine::IncomingResult in = engine_->incoming(message);
    EXPECT_TRUE(in.encrypted);
    EXPECT_TRUE(in.decrypted) << (in.errors.empty() ? "" : in.errors.front().message);
    EXPECT_TRUE(in.errors.empty()) << in.errors.front().message;
    EXPECT_EQ(in.decryption_key, org_.fingerprint);
    EXPECT_EQ(body_of(in.message), kBody);
  }

  Identity org_;
};

TEST_F(EngineLegacyCiphersTest, TripleDesCbcDecryptsThroughTheToken) {
  expect_decrypts({"-des3"});
}

TEST_F(EngineLegacyCiphersTest, Aes192CbcDecryptsThroughTheToken) {
  expect_decrypts({"-aes192"});
}

TEST_F(EngineLegacyCiphersTest, Rc2With40BitsDecryptsThroughTheToken) {
  expect_decrypts({"-rc2-40"});
}

TEST_F(EngineLegacyCiphersTest, Rc2With64BitsDecryptsThroughTheToken) {
  expect_decrypts({"-rc2-64"});
}

TEST_F(EngineLegacyCiphersTest, Rc2With128BitsDecryptsThroughTheToken) {
  expect_decrypts({"-rc2-128"});
}

TEST_F(EngineLegacyCiphersTest, RsaOaepWithALabelDecryptsThroughTheToken) {
  expect_decrypts(
      {"-aes-256-cbc", "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_label:0102030405"});
}

TEST_F(EngineLegacyCiphersTest, RsaOaepSha256WithALabelDecryptsThroughTheToken) {
  expect_decrypts({"-aes-128-cbc", "-keyopt", "rsa_padding_mode:oaep", "-keyopt",
                   "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha256", "-keyopt",
                   "rsa_oaep_label:6c6162656c"});
}

TEST_F(EngineLegacyCiphersTest, ContentWithoutHeaderFieldsDecryptsAsPlainText) {
  // What `openssl cms -encrypt` makes of a bare text file (Thunderbird's fran-* messages).
  write_file(scratch_.file("entity.txt"), "This is a test message to Fran.\n");
  const std::string message =
      openssl_encrypted({"-aes-128-cbc", "-recip", scratch_.file("org.pem")});
  const engine::IncomingResult in = engine_->incoming(message);
  EXPECT_TRUE(in.decrypted);
  EXPECT_TRUE(in.errors.empty()) << in.errors.front().message;
  EXPECT_NE(in.message.find("\r\n\r\nThis is a test message to Fran.\r\n"), std::string::npos)
      << in.message;
  EXPECT_EQ(in.message.find("application/pkcs7-mime"), std::string::npos) << in.message;
}

TEST_F(EngineLegacyCiphersTest, TheDefaultLibraryContextStillOffersNoRc2) {
  // Decrypting RC2 loads the legacy provider into a context of its own only.
  expect_decrypts({"-rc2-40"});
  EvpCipherPtr rc2(EVP_CIPHER_fetch(nullptr, "RC2-CBC", nullptr));
  EXPECT_EQ(rc2, nullptr);
  drain_openssl_errors();
}

TEST_F(EngineLegacyCiphersTest, OutgoingNeverUsesALegacyCipher) {
  contact("alice@example.com");
  const auto out = outgoing(message(), false, true);
  ASSERT_TRUE(out.encrypted);
  const std::vector<unsigned char> der = cms_of(out.message);
  CmsPtr cms = parse_cms(der);
  // The content-encryption algorithm is AES-256-CBC by default (never RC2, 3DES or AES-192).
  const std::string printed = [&] {
    BioPtr bio(BIO_new(BIO_s_mem()));
    CMS_ContentInfo_print_ctx(bio.get(), cms.get(), 0, nullptr);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  }();
  EXPECT_NE(printed.find("aes-256-cbc"), std::string::npos);
  for (const char* legacy : {"rc2", "des-ede3", "aes-192"}) {
    EXPECT_EQ(printed.find(legacy), std::string::npos) << legacy;
  }
}

}  // namespace
}  // namespace smime::test
