// compose_multipart_signed, compose_pkcs7_mime, join, base64_lines, canonicalize_line_endings.
#include <gtest/gtest.h>

#include "mime_test_util.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {
namespace {

using test::bytes_of;

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

std::string body_of(std::string_view entity) {
  std::size_t at = entity.find("\r\n\r\n");
  return at == std::string_view::npos ? std::string() : std::string(entity.substr(at + 4));
}

const std::string kContent =
    "Content-Type: multipart/mixed; boundary=\"inner\"\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "signed text  \r\n"
    "\r\n"
    "--inner--\r\n";

TEST(MimeCompose, MultipartSignedParsesAndRoundTrips) {
  const std::string der = test::random_bytes(1500, 21);
  const std::string entity = compose_multipart_signed(kContent, bytes_of(der), "sha-256");
  EXPECT_TRUE(test::is_crlf_only(entity));

  auto object = test::parse_entity(entity);
  ASSERT_TRUE(object);
  ASSERT_TRUE(GMIME_IS_MULTIPART_SIGNED(object.get()));
  GMimeContentType* type = g_mime_object_get_content_type(object.get());
  EXPECT_STREQ(g_mime_content_type_get_parameter(type, "protocol"), "application/pkcs7-signature");
  EXPECT_STREQ(g_mime_content_type_get_parameter(type, "micalg"), "sha-256");
  const char* boundary = g_mime_content_type_get_parameter(type, "boundary");
  ASSERT_NE(boundary, nullptr);
  EXPECT_EQ(kContent.find(boundary), std::string::npos);
  GMimeMultipart* multipart = GMIME_MULTIPART(object.get());
  ASSERT_EQ(g_mime_multipart_get_count(multipart), 2);
  GMimeObject* signature = g_mime_multipart_get_part(multipart, 1);
  GCharPtr signature_type(
      g_mime_content_type_get_mime_type(g_mime_object_get_content_type(signature)));
  EXPECT_STREQ(signature_type.get(), "application/pkcs7-signature");
  EXPECT_STREQ(g_mime_part_get_filename(GMIME_PART(signature)), "smime.p7s");
  EXPECT_EQ(g_mime_object_get_disposition(signature), std::string("attachment"));

  std::vector<test::Leaf> leaves;
  test::collect_leaves(object.get(), leaves);
  ASSERT_EQ(leaves.size(), 2u);
  EXPECT_EQ(leaves[1].decoded, der);

  ClassifiedEntity c = classify(entity);
  EXPECT_EQ(c.kind, EntityKind::multipart_signed);
  EXPECT_EQ(c.micalg, "sha-256");
  EXPECT_EQ(c.signed_content, kContent);
  EXPECT_EQ(c.cms_der, bytes_of(der));

  // The first part is the content verbatim, followed by the delimiter's CRLF.
  EXPECT_NE(entity.find("--" + std::string(boundary) + "\r\n" + kContent + "\r\n--" + boundary),
            std::string::npos);
  for (const std::string& line : lines_of(entity)) EXPECT_LE(line.size(), 78u) << line;
}

TEST(MimeCompose, MultipartSignedKeepsContentWithoutFinalNewline) {
  const std::string content = "Content-Type: text/plain\r\n\r\nno final newline";
  const std::string entity =
      compose_multipart_signed(content, bytes_of(std::string("\x30\x00", 2)), "sha-512");
  ClassifiedEntity c = classify(entity);
  EXPECT_EQ(c.signed_content, content);
  EXPECT_EQ(c.micalg, "sha-512");
  EXPECT_EQ(c.cms_der, bytes_of(std::string("\x30\x00", 2)));
  const std::string joined = join("From: a@example.org\r\n", entity);
  EXPECT_EQ(classify(split_incoming(joined).content_entity).signed_content, content);
}

TEST(MimeCompose, MultipartSignedRejectsBadArguments) {
  EXPECT_THROW(compose_multipart_signed(kContent, {}, "sha-256"), Error);
  EXPECT_THROW(compose_multipart_signed(kContent, bytes_of("x"), ""), Error);
  EXPECT_THROW(compose_multipart_signed(kContent, bytes_of("x"), "sha-256\"; x=\"y"), Error);
}

TEST(MimeCompose, Pkcs7MimeRoundTrips) {
  const std::string der = test::random_bytes(5000, 22);
  for (const char* smime_type : {"signed-data", "enveloped-data", "authEnveloped-data"}) {
    const std::string entity = compose_pkcs7_mime(bytes_of(der), smime_type);
    EXPECT_TRUE(test::is_crlf_only(entity));
    ClassifiedEntity c = classify(entity);
    EXPECT_EQ(c.kind, EntityKind::pkcs7_mime);
    EXPECT_EQ(c.content_type, "application/pkcs7-mime");
    std::string lower = smime_type;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(c.smime_type, lower);
    EXPECT_EQ(c.cms_der, bytes_of(der));
    EXPECT_NE(entity.find("name=smime.p7m"), std::string::npos);
    EXPECT_NE(entity.find("Content-Disposition: attachment; filename=smime.p7m\r\n"),
              std::string::npos);
    const std::vector<std::string> body = lines_of(body_of(entity));
    ASSERT_GT(body.size(), 60u);
    for (std::size_t i = 0; i < body.size(); ++i) {
      EXPECT_LE(body[i].size(), 76u);
      if (i + 1 < body.size()) {
        EXPECT_EQ(body[i].size(), 76u);
      }
    }
  }
  EXPECT_THROW(compose_pkcs7_mime({}, "enveloped-data"), Error);
  EXPECT_THROW(compose_pkcs7_mime(bytes_of("x"), "enveloped data"), Error);
}

TEST(MimeCompose, JoinAddsMimeVersionOnce) {
  const std::string outer = "From: a@example.org\r\nSubject: x\r\n";
  const std::string entity = "Content-Type: text/plain\r\n\r\nbody\r\n";
  EXPECT_EQ(join(outer, entity), outer + "MIME-Version: 1.0\r\n" + entity);
  const std::string with_version = "Content-Type: text/plain\r\nMime-Version: 1.0\r\n\r\nbody\r\n";
  EXPECT_EQ(join(outer, with_version), outer + with_version);
  // "MIME-Version" in the body does not count.
  const std::string body_mention = "Content-Type: text/plain\r\n\r\nMIME-Version: 1.0\r\n";
  EXPECT_EQ(join(outer, body_mention), outer + "MIME-Version: 1.0\r\n" + body_mention);
  EXPECT_EQ(join("From: a@example.org", entity),
            "From: a@example.org\r\nMIME-Version: 1.0\r\n" + entity);

  SplitMessage split = prepare_outgoing(
      "From: a@example.org\nMIME-Version: 1.0\n"
      "Content-Type: text/plain\n\nbody\n");
  const std::string joined = join(split.outer_headers, split.content_entity);
  EXPECT_EQ(joined,
            "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nbody\r\n");
}

TEST(MimeCompose, Base64LinesAndCanonicalisation) {
  EXPECT_EQ(base64_lines({}), "");
  EXPECT_EQ(base64_lines(bytes_of("foo")), "Zm9v\r\n");
  EXPECT_EQ(base64_lines(bytes_of("fo")), "Zm8=\r\n");
  const std::string b57(57, 'x');
  std::string line57;
  for (int i = 0; i < 19; ++i) line57 += "eHh4";  // 57 bytes make exactly one 76-column line
  EXPECT_EQ(base64_lines(bytes_of(b57)), line57 + "\r\n");
  const std::vector<std::string> two = lines_of(base64_lines(bytes_of(std::string(58, 'x'))));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].size(), 76u);
  EXPECT_EQ(two[1], "eA==");

  EXPECT_EQ(canonicalize_line_endings("a\nb\r\nc\rd\r\r\ne\n\n"),
            "a\r\nb\r\nc\r\nd\r\n\r\ne\r\n\r\n");
  EXPECT_EQ(canonicalize_line_endings(""), "");
  EXPECT_EQ(canonicalize_line_endings("\r"), "\r\n");
  EXPECT_EQ(canonicalize_line_endings("no newline"), "no newline");
  EXPECT_EQ(canonicalize_line_endings("x\n\ny\rz\r"), "x\r\n\r\ny\r\nz\r\n");
}

// The scanner that remembers the next CR against one that looks at every byte: random texts
// of a, CR and LF, where every pattern of the two occurs.
TEST(MimeCompose, CanonicalLineEndingsMatchAByteByByteReference) {
  const auto reference = [](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\r') {
        out += "\r\n";
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      } else if (text[i] == '\n') {
        out += "\r\n";
      } else {
        out += text[i];
      }
    }
    return out;
  };
  std::uint32_t state = 12345;
  for (int round = 0; round < 500; ++round) {
    std::string text;
    const std::size_t length = round % 97;
    for (std::size_t i = 0; i < length; ++i) {
      state = state * 1103515245u + 12345u;
      text += "aaa\r\n"[(state >> 16) % 5];
    }
    ASSERT_EQ(canonicalize_line_endings(text), reference(text)) << "round " << round;
  }
}

}  // namespace
}  // namespace smime::engine::mime
