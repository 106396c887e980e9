// split_incoming: the received entity keeps its bytes.
#include <gtest/gtest.h>

#include "mime_test_util.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {
namespace {

TEST(MimeIncoming, KeepsEntityBytesExactly) {
  const std::string data = test::random_bytes(3000, 11);
  const std::string entity =
      "Content-Type: multipart/mixed;\r\n\tboundary=\"q\"\r\n"
      "Content-Transfer-Encoding: binary\r\n"
      "\r\n"
      "preamble with trailing space \r\n"
      "--q\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n"
      "\xc3\xbc lines   \r\n"
      "\t\r\n"
      "--q\r\n"
      "Content-Type: application/octet-stream\r\n"
      "Content-Transfer-Encoding: binary\r\n"
      "\r\n" +
      data + "\r\n--q--\r\n";
  const std::string message =
      "Received: by mx; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
      "From: alice@example.org\r\n"
      "MIME-Version: 1.0\r\n" +
      entity;
  SplitMessage split = split_incoming(message);
  EXPECT_EQ(split.content_entity, entity);
  EXPECT_EQ(split.outer_headers,
            "Received: by mx; Mon, 1 Jan 2024 10:00:00 +0000\r\nFrom: alice@example.org\r\n");
}

TEST(MimeIncoming, CollectsContentFieldsAndLeavesTheBodyAlone) {
  // Fields interleaved with outer ones; LF framing: the fields become CRLF, the body does not.
  SplitMessage split = split_incoming(
      "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\n"
      "To: bob@example.net\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "MIAGCSqGSIb3DQEHA6CAMIACAQAx\n"
      "ggF=\n");
  EXPECT_EQ(split.outer_headers, "To: bob@example.net\r\n");
  EXPECT_EQ(split.content_entity,
            "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "\r\n"
            "MIAGCSqGSIb3DQEHA6CAMIACAQAx\n"
            "ggF=\n");
}

TEST(MimeIncoming, RejectsWhatIsNotAMessage) {
  for (std::string bad : {std::string(), std::string("hello world"), std::string("\r\nbody"),
                          test::random_bytes(512, 5)}) {
    try {
      split_incoming(bad);
      ADD_FAILURE() << "accepted " << testing::PrintToString(bad);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    }
  }
  EXPECT_NO_THROW(split_incoming("Subject: no From is fine for incoming mail\n\nx\n"));
}

}  // namespace
}  // namespace smime::engine::mime

namespace smime::engine::mime {
namespace {

// Issue 11 item 9: a decrypted entity with binary parts keeps their CR and LF bytes.
TEST(CanonicalizeEntityTest, BinaryBodiesKeepTheirBytes) {
  const std::string binary_body("\x30\x0a\x0d\x01\n\x02", 6);
  const std::string top =
      "Content-Type: application/pkcs7-mime\nContent-Transfer-Encoding: binary\n\n" + binary_body;
  EXPECT_EQ(canonicalize_entity(top),
            "Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
                binary_body);
  const std::string nested =
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: Binary\n\n" +
      binary_body + "\n--b--\n";
  EXPECT_NE(canonicalize_entity(nested).find(binary_body), std::string::npos);
  EXPECT_EQ(canonicalize_entity("Content-Type: text/plain\n\na\nb\n"),
            "Content-Type: text/plain\r\n\r\na\r\nb\r\n");
}

}  // namespace
}  // namespace smime::engine::mime
