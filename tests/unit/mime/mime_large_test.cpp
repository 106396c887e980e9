// A 25 MB attachment through the whole MIME path (sizes and round trips only).
#include <gtest/gtest.h>

#include "mime_test_util.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {
namespace {

TEST(MimeLarge, TwentyFiveMegabyteBinaryAttachment) {
  const std::size_t size = 25u * 1024 * 1024;
  const std::string data = test::random_bytes(size, 25);
  const std::string message =
      "From: alice@example.org\r\n"
      "To: bob@example.net\r\n"
      "Subject: big\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"=_big_boundary\"\r\n"
      "\r\n"
      "--=_big_boundary\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "see attachment\r\n"
      "--=_big_boundary\r\n"
      "Content-Type: application/octet-stream; name=big.bin\r\n"
      "Content-Transfer-Encoding: binary\r\n"
      "\r\n" +
      data + "\r\n--=_big_boundary--\r\n";
  SplitMessage split = prepare_outgoing(message);
  // base64 grows by 4/3 plus CRLF every 76 columns.
  EXPECT_GT(split.content_entity.size(), size * 4 / 3);
  EXPECT_LT(split.content_entity.size(), size * 4 / 3 + size / 20 + 4096);
  auto leaves = test::leaves_of(split.content_entity);
  ASSERT_EQ(leaves.size(), 2u);
  EXPECT_TRUE(leaves[1].decoded == data);

  const std::vector<unsigned char> signature(3000, 0x42);
  const std::string signed_entity =
      compose_multipart_signed(split.content_entity, signature, "sha-256");
  ClassifiedEntity c = classify(signed_entity);
  EXPECT_EQ(c.kind, EntityKind::multipart_signed);
  EXPECT_TRUE(c.signed_content == split.content_entity);
  EXPECT_EQ(c.cms_der, signature);

  const std::vector<unsigned char> der(data.begin(), data.end());
  ClassifiedEntity opaque = classify(compose_pkcs7_mime(der, "enveloped-data"));
  EXPECT_EQ(opaque.kind, EntityKind::pkcs7_mime);
  EXPECT_TRUE(opaque.cms_der == der);
}

}  // namespace
}  // namespace smime::engine::mime
