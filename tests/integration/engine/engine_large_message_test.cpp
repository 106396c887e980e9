// Large mail through the streamed path (issue 15): a message of several megabytes with a
// binary attachment signs+encrypts and decrypts+verifies back to the same content, for both
// content ciphers; the DER written around the streamed ciphertext is exactly OpenSSL's own
// encoding of the structure, and OpenSSL itself decrypts it and verifies the signature.
#include <gtest/gtest.h>
#include <openssl/cms.h>

#include "engine_fixture.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::test {
namespace {

using engine::ContentCipher;
using engine::SignatureStatus;

// Bytes of every value (CR, LF and NUL included), reproducible.
std::string binary_data(std::size_t size) {
  std::string out(size, '\0');
  std::uint32_t state = 2463534242u;
  for (char& c : out) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    c = static_cast<char>(state & 0xff);
  }
  return out;
}

std::string text_lines(std::size_t size) {
  std::string out;
  out.reserve(size + 80);
  for (std::size_t n = 0; out.size() < size; ++n) {
    out += "Line " + std::to_string(n) + " of the report: nothing unusual happened today.\r\n";
  }
  return out;
}

// From and To the org itself (one recipient, which the test can decrypt with OpenSSL). The
// attachment either already base64 (7-bit, prepared in place) or binary (re-encoded).
std::string large_message(bool binary_attachment) {
  const std::string data = binary_data(std::size_t{3} << 20);
  std::string attachment;
  if (binary_attachment) {
    attachment = "Content-Transfer-Encoding: binary\r\n\r\n" + data + "\r\n";
  } else {
    attachment = "Content-Transfer-Encoding: base64\r\n\r\n" +
                 engine::mime::base64_lines(
                     {reinterpret_cast<const unsigned char*>(data.data()), data.size()});
  }
  return "From: Example Support <support@example.org>\r\n"
         "To: support@example.org\r\n"
         "Subject: Monthly export\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"large-boundary\"\r\n"
         "\r\n"
         "--large-boundary\r\n"
         "Content-Type: text/plain; charset=us-ascii\r\n"
         "\r\n" +
         text_lines(std::size_t{2} << 20) +
         "--large-boundary\r\n"
         "Content-Type: application/octet-stream; name=\"export.bin\"\r\n"
         "Content-Disposition: attachment; filename=\"export.bin\"\r\n" +
         attachment + "--large-boundary--\r\n";
}

class EngineLargeMessageTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    org_ = imported_identity("support@example.org", "rsa-2048");
  }

  // The DER is OpenSSL's own DER of the structure it parses from it (definite lengths, the
  // content where i2d puts it).
  static void expect_openssl_der(const std::vector<unsigned char>& der) {
    CmsPtr cms = parse_cms(der);
    ASSERT_TRUE(cms);
    unsigned char* raw = nullptr;
    const int n = i2d_CMS_ContentInfo(cms.get(), &raw);
    ASSERT_GT(n, 0);
    OpensslBytesPtr owner(raw);
    EXPECT_TRUE(std::vector<unsigned char>(raw, raw + n) == der) << "re-encoded differently";
  }

  // OpenSSL decrypts with the org's software key copy and verifies the detached signature;
  // the signed part is the prepared entity.
  void expect_openssl_reads(const std::vector<unsigned char>& der, const std::string& entity) {
    CmsPtr cms = parse_cms(der);
    BioPtr plain(BIO_new(BIO_s_mem()));
    ASSERT_EQ(CMS_decrypt(cms.get(), org_.issued.key.get(), org_.issued.cert.get(), nullptr,
                          plain.get(), CMS_BINARY),
              1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(plain.get(), &data);
    const std::string decrypted(data, static_cast<std::size_t>(size));
    const auto classified = engine::mime::classify(decrypted);
    ASSERT_EQ(classified.kind, engine::mime::EntityKind::multipart_signed);
    EXPECT_TRUE(classified.signed_content == entity);
    CmsPtr signature = parse_cms(classified.cms_der);
    X509StorePtr store(X509_STORE_new());
    ASSERT_EQ(X509_STORE_add_cert(store.get(), ca_.cert.get()), 1);
    BioPtr content(BIO_new_mem_buf(classified.signed_content.data(),
                                   static_cast<int>(classified.signed_content.size())));
    EXPECT_EQ(CMS_verify(signature.get(), nullptr, store.get(), content.get(), nullptr, CMS_BINARY),
              1);
  }

  void expect_round_trip(bool binary_attachment, ContentCipher cipher) {
    const std::string original = large_message(binary_attachment);
    const engine::mime::SplitMessage prepared = engine::mime::prepare_outgoing(original);
    engine::OutgoingRequest request;
    request.cipher = cipher;
    auto out = outgoing(original, true, true, request);
    ASSERT_TRUE(out.signed_);
    ASSERT_TRUE(out.encrypted);
    EXPECT_EQ(out.format,
              cipher == ContentCipher::aes256_cbc ? "enveloped-data" : "authEnveloped-data");
    EXPECT_EQ(out.message.rfind("From: Example Support <support@example.org>\r\n", 0), 0u);

    const std::vector<unsigned char> der = cms_of(out.message);
    // Base64 of the DER in 76-column lines, nothing else after the entity's header.
    const std::string header = engine::mime::pkcs7_mime_header(out.format);
    const std::size_t body = out.message.find(header);
    ASSERT_NE(body, std::string::npos);
    EXPECT_TRUE(out.message.substr(body + header.size()) == engine::mime::base64_lines(der));
    expect_openssl_der(der);
    expect_openssl_reads(der, prepared.content_entity);

    auto in = engine_->incoming(out.message);
    EXPECT_TRUE(in.decrypted) << (in.errors.empty() ? "" : in.errors[0].message);
    EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
    ASSERT_EQ(in.layers.size(), 2u);
    EXPECT_EQ(in.layers[1], "multipart/signed");
    EXPECT_TRUE(in.ok());
    // Back to the message as prepared for signing: outer headers and the same entity.
    EXPECT_TRUE(in.message == engine::mime::join(prepared.outer_headers, prepared.content_entity));
  }

  Identity org_;
};

TEST_F(EngineLargeMessageTest, SevenBitMessageRoundTripsWithAesCbc) {
  expect_round_trip(/*binary_attachment=*/false, ContentCipher::aes256_cbc);
}

TEST_F(EngineLargeMessageTest, BinaryAttachmentRoundTripsWithAesGcm) {
  expect_round_trip(/*binary_attachment=*/true, ContentCipher::aes256_gcm);
}

TEST_F(EngineLargeMessageTest, EncryptedOnlyMessageDecryptsToTheEntity) {
  const std::string original = large_message(/*binary_attachment=*/false);
  const engine::mime::SplitMessage prepared = engine::mime::prepare_outgoing(original);
  engine::OutgoingRequest request;
  request.cipher = ContentCipher::aes128_gcm;
  auto out = outgoing(original, false, true, request);
  ASSERT_TRUE(out.encrypted);
  const std::vector<unsigned char> der = cms_of(out.message);
  expect_openssl_der(der);
  auto in = engine_->incoming(out.message);
  EXPECT_TRUE(in.decrypted) << (in.errors.empty() ? "" : in.errors[0].message);
  EXPECT_FALSE(in.signed_);
  EXPECT_TRUE(in.message == engine::mime::join(prepared.outer_headers, prepared.content_entity));
}

TEST_F(EngineLargeMessageTest, SignedOnlyMessageVerifiesInPlace) {
  const std::string original = large_message(/*binary_attachment=*/true);
  const engine::mime::SplitMessage prepared = engine::mime::prepare_outgoing(original);
  auto out = outgoing(original, true, false);
  ASSERT_TRUE(out.signed_);
  auto in = engine_->incoming(out.message);
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  EXPECT_TRUE(in.message == engine::mime::join(prepared.outer_headers, prepared.content_entity));
}

}  // namespace
}  // namespace smime::test
