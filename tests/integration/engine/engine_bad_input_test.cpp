// Bad input (issue 4 §7): each gives a clear error, never a crash, and incoming processing
// always hands back the original message.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>

#include "engine_fixture.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::test {
namespace {

class EngineBadInputTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    org_ = imported_identity("support@example.org", "rsa-2048");
  }

  void expect_incoming_error(const std::string& wire, const std::string& code,
                             const std::string& fragment) {
    auto in = engine_->incoming(wire);
    ASSERT_FALSE(in.errors.empty()) << "no error for " << code;
    EXPECT_EQ(in.errors[0].code, code) << in.errors[0].message;
    EXPECT_NE(in.errors[0].message.find(fragment), std::string::npos) << in.errors[0].message;
    EXPECT_FALSE(in.ok());
    EXPECT_FALSE(in.decrypted);
  }

  std::string pkcs7_mime(const std::string& base64_body) {
    return "From: alice@example.com\r\nTo: support@example.org\r\nSubject: x\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" +
           base64_body + "\r\n";
  }

  Identity org_;
};

TEST_F(EngineBadInputTest, NotMime) {
  for (const std::string& input : {std::string(), std::string("hello world, no headers here"),
                                   std::string("\x89PNG\r\n\x1a\n\0\0\0binary", 20)}) {
    try {
      outgoing(input, true, false);
      ADD_FAILURE() << "accepted: " << input;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input) << e.what();
    }
    auto in = engine_->incoming(input);
    ASSERT_FALSE(in.errors.empty());
    EXPECT_EQ(in.errors[0].code, "not_mime");
    EXPECT_EQ(in.message, input);  // the original is never lost
  }
}

TEST_F(EngineBadInputTest, MultipartSignedWithoutItsSignaturePart) {
  const std::string wire =
      "From: alice@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
      "micalg=sha-256; boundary=b1\r\n\r\n"
      "--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\n";
  expect_incoming_error(wire, "bad_mime", "signature");
  EXPECT_EQ(engine_->incoming(wire).message, wire);
}

TEST_F(EngineBadInputTest, TruncatedCms) {
  const std::string good = outgoing(message({.to = {org_.email}}), false, true).message;
  auto der = cms_of(good);
  der.resize(der.size() / 2);
  expect_incoming_error(pkcs7_mime(engine::mime::base64_lines(der)), "bad_cms", "CMS");
}

TEST_F(EngineBadInputTest, GarbageCms) {
  std::vector<unsigned char> garbage(300);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<unsigned char>(i * 7);
  expect_incoming_error(pkcs7_mime(engine::mime::base64_lines(garbage)), "bad_cms", "CMS");
}

TEST_F(EngineBadInputTest, MessageForARecipientWhoseKeyWeDoNotHold) {
  auto alice = contact("alice@example.com");
  const std::string wire =
      encrypted_for({alice.issued.cert.get()}, message({.to = {"alice@example.com"}}));
  auto in = engine_->incoming(wire);
  ASSERT_EQ(in.errors.size(), 1u);
  EXPECT_EQ(in.errors[0].code, "no_key");
  ASSERT_EQ(in.missing.size(), 1u);
  EXPECT_EQ(in.missing[0].kind, "key");
  EXPECT_EQ(in.missing[0].issuer, "CN=Example Org Test CA");
  EXPECT_EQ(in.missing[0].serial,
            service::CertificateService(*store_, key_store()).get(alice.fingerprint).serial);
  EXPECT_EQ(in.message, wire);
}

// Where the RSA-2048 encryptedKey after `from` starts (an OCTET STRING of 256 bytes).
std::size_t encrypted_key_at(const std::vector<unsigned char>& der, std::size_t from) {
  const unsigned char tag[] = {0x04, 0x82, 0x01, 0x00};
  const auto at = std::search(der.begin() + static_cast<std::ptrdiff_t>(from), der.end(),
                              std::begin(tag), std::end(tag));
  return at == der.end() ? std::string::npos
                         : static_cast<std::size_t>(at - der.begin()) + sizeof(tag);
}

// One RecipientInfo unwraps a wrong content key (its encryptedKey taken from another message):
// that key's decryption fails after the ciphertext's pages were handed back, so the ciphertext
// is read again from the message for the other org key. Each position in turn, so that the
// key tried first is the wrong one in one of the runs.
TEST_F(EngineBadInputTest, AWrongContentKeyInOneRecipientInfoLeavesTheOtherKey) {
  const Identity sales = imported_identity("sales@example.org", "rsa-2048");
  std::string body;
  while (body.size() < 256 * 1024) body += "a line of a long ticket, long enough for pages\r\n";
  const std::string content = message({.to = {org_.email, sales.email}, .body = body});
  const auto other = cms_of(encrypted_for({org_.issued.cert.get()}, content, EVP_aes_256_gcm()));
  const std::size_t replacement = encrypted_key_at(other, 0);
  ASSERT_NE(replacement, std::string::npos);
  for (int position = 0; position < 2; ++position) {
    auto der = cms_of(encrypted_for({org_.issued.cert.get(), sales.issued.cert.get()}, content,
                                    EVP_aes_256_gcm()));
    std::size_t at = encrypted_key_at(der, 0);
    if (position == 1) at = encrypted_key_at(der, at);
    ASSERT_NE(at, std::string::npos);
    std::copy_n(other.begin() + static_cast<std::ptrdiff_t>(replacement), 256,
                der.begin() + static_cast<std::ptrdiff_t>(at));
    const auto in = engine_->incoming(pkcs7_mime(engine::mime::base64_lines(der)));
    EXPECT_TRUE(in.decrypted) << position << ": "
                              << (in.errors.empty() ? "" : in.errors[0].message);
    EXPECT_TRUE(in.decryption_key == org_.fingerprint || in.decryption_key == sales.fingerprint);
    EXPECT_TRUE(body_of(in.message) == body) << position;  // (not printed: 256 KB)
  }
}

TEST_F(EngineBadInputTest, UnsupportedContentCipher) {
  engine::OutgoingRequest cbc;  // to the org's own key alone the choice would be AES-GCM
  cbc.cipher = engine::ContentCipher::aes256_cbc;
  const std::string good = outgoing(message({.to = {org_.email}}), false, true, cbc).message;
  auto der = cms_of(good);
  // aes256-CBC is 2.16.840.1.101.3.4.1.42; make it the unassigned ...1.99.
  const unsigned char oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a};
  auto at = std::search(der.begin(), der.end(), std::begin(oid), std::end(oid));
  ASSERT_NE(at, der.end());
  *(at + sizeof(oid) - 1) = 99;
  expect_incoming_error(pkcs7_mime(engine::mime::base64_lines(der)), "unsupported", "cipher");
}

TEST_F(EngineBadInputTest, MixedLineEndingsAreCanonicalised) {
  std::string m = message({.from = org_.email,
                           .to = {org_.email},
                           .body = "line one\nline two\r\nline three\rline four\r\n"});
  auto out = outgoing(m, true, true);
  auto in = engine_->incoming(out.message);
  EXPECT_TRUE(in.ok()) << in.signature_reason;
  EXPECT_EQ(body_of(in.message), "line one\r\nline two\r\nline three\r\nline four\r\n");
}

TEST_F(EngineBadInputTest, EmptyBody) {
  auto out = outgoing(message({.from = org_.email, .to = {org_.email}, .body = ""}), true, true);
  auto in = engine_->incoming(out.message);
  EXPECT_TRUE(in.ok()) << (in.errors.empty() ? in.signature_reason : in.errors[0].message);
  EXPECT_EQ(body_of(in.message), "");
}

// The entity is made in the message's own buffer; what was not unwrapped comes back exactly,
// whatever its header block's line endings (the entity's header may even be longer).
TEST_F(EngineBadInputTest, WhatIsNotUnwrappedComesBackByteForByte) {
  const std::string inputs[] = {
      "Content-Type: text/plain\n\nonly content fields, LF\n",
      "From: alice@example.com\nSubject: LF\nMIME-Version: 1.0\nContent-Type: text/plain\n\nx\n",
      "From: alice@example.com\rSubject: CR\r\rbare CR\r",
      "Subject: folded\r\n continued\r\nContent-Type: text/plain;\r\n\tcharset=us-ascii\r\n\r\n",
      "From: alice@example.com\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data"
      "\n\nnot base64 at all\n"};
  for (const std::string& input : inputs) {
    auto in = engine_->incoming(input);
    EXPECT_EQ(in.message, input);
    EXPECT_FALSE(in.decrypted);
  }
}

// A body of several megabytes is decoded while its base64 lines are handed back to the kernel;
// whatever stops the layer from being unwrapped, they are written back exactly.
TEST_F(EngineBadInputTest, ALargeLayerThatIsNotUnwrappedComesBackByteForByte) {
  const Identity stranger = contact("alice@example.com");
  std::string body;
  while (body.size() < (std::size_t{3} << 20)) body += "a line of a long report, for pages\r\n";
  const std::string content = message({.to = {org_.email}, .body = body});
  const auto for_org = cms_of(encrypted_for({org_.issued.cert.get()}, content, EVP_aes_256_gcm()));
  auto tampered = for_org;
  tampered[tampered.size() / 2] ^= 0x01;  // in the ciphertext: the GCM tag does not match
  // CBC: the last padding byte becomes 0x81..0x90 (its block's predecessor ends the DER but 16).
  auto bad_padding = cms_of(encrypted_for({org_.issued.cert.get()}, content));
  bad_padding[bad_padding.size() - 17] ^= 0x80;
  auto truncated = for_org;
  truncated.resize(truncated.size() - 1000);
  const struct {
    std::vector<unsigned char> der;
    const char* code;
  } cases[] = {
      {cms_of(encrypted_for({stranger.issued.cert.get()}, content)), "no_key"},
      {tampered, "decrypt_failed"},
      {bad_padding, "decrypt_failed"},
      {truncated, "bad_cms"},
  };
  for (const auto& c : cases) {
    const std::string wire = pkcs7_mime(engine::mime::base64_lines(c.der));
    auto in = engine_->incoming(wire);
    ASSERT_FALSE(in.errors.empty()) << c.code;
    EXPECT_EQ(in.errors[0].code, c.code) << in.errors[0].message;
    EXPECT_FALSE(in.decrypted);
    EXPECT_TRUE(in.message == wire) << c.code << ": not given back as it came";
  }
  // And the untouched message decrypts (the released lines were the DER's).
  const std::string wire = pkcs7_mime(engine::mime::base64_lines(for_org));
  auto in = engine_->incoming(wire);
  EXPECT_TRUE(in.decrypted) << (in.errors.empty() ? "" : in.errors[0].message);
  EXPECT_TRUE(body_of(in.message) == body);
}

TEST_F(EngineBadInputTest, PlainMessageIsNotSmime) {
  const std::string plain = message();
  auto in = engine_->incoming(plain);
  EXPECT_FALSE(in.signed_);
  EXPECT_FALSE(in.encrypted);
  EXPECT_TRUE(in.errors.empty());
  EXPECT_EQ(in.message, plain);
}

}  // namespace
}  // namespace smime::test
