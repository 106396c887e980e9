// decode_base64_releasing gives GMime's bytes for any body, and restore_base64 gives the entity
// back byte for byte, whatever the body's layout.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "mime_test_util.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/base64_body.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {
namespace {

// The reference: GMime's own step decoder over the whole body at once.
std::vector<unsigned char> gmime_decode(std::string_view body) {
  std::vector<unsigned char> out(body.size() / 4 * 3 + 8);
  int state = 0;
  guint32 save = 0;
  const std::size_t n = g_mime_encoding_base64_decode_step(
      reinterpret_cast<const unsigned char*>(body.data()), body.size(), out.data(), &state, &save);
  out.resize(n);
  return out;
}

// `data` in base64, `line` characters a line (the last line may be shorter), ended by `eol`.
std::string encode_lines(std::string_view data, std::size_t line, std::string_view eol) {
  std::string flat(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(flat.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  flat.resize(static_cast<std::size_t>(n));
  std::string out;
  for (std::size_t at = 0; at < flat.size(); at += line) {
    out.append(flat, at, line);
    out.append(eol);
  }
  return out;
}

struct Framed {
  std::string entity;
  std::size_t begin;
  std::size_t end;
};

// The body between a header block and a trailer, so that offsets and the bytes around the body
// are exercised too.
Framed frame(const std::string& body) {
  const std::string head = "Content-Type: application/pkcs7-mime\r\n\r\n";
  return {head + body + "\r\n--trailer--\r\n", head.size(), head.size() + body.size()};
}

// Decodes, compares with GMime, restores and compares with the original entity.
DecodedBase64 round_trip(const std::string& body) {
  test::init_gmime();
  Framed framed = frame(body);
  const std::string original = framed.entity;
  DecodedBase64 decoded = decode_base64_releasing(framed.entity, framed.begin, framed.end);
  EXPECT_EQ(decoded.bytes, gmime_decode(body));
  restore_base64(framed.entity, decoded.released, decoded.bytes);
  EXPECT_TRUE(framed.entity == original) << "the entity did not come back byte for byte";
  return decoded;
}

TEST(Base64Body, SeventySixColumnCrlfLinesAreReleasedAndComeBack) {
  test::init_gmime();
  const std::string data = test::random_bytes(3u * 1024 * 1024 + 17, 7);
  const std::string body = encode_lines(data, 76, "\r\n");
  Framed framed = frame(body);
  const std::string original = framed.entity;
  DecodedBase64 decoded = decode_base64_releasing(framed.entity, framed.begin, framed.end);
  EXPECT_TRUE(decoded.bytes == test::bytes_of(data));
  EXPECT_EQ(decoded.released.line, 76u);
  EXPECT_TRUE(decoded.released.crlf);
  EXPECT_EQ(decoded.released.begin, framed.begin);
  // Every whole line but the last is released; it and the shorter line after it are kept.
  EXPECT_GT(decoded.released.end, framed.end - 2 * 78);
  EXPECT_LE(decoded.released.end, framed.end - 78);
  // The pages were handed back: the body no longer reads as it was (zero pages).
  EXPECT_FALSE(framed.entity == original);
  EXPECT_EQ(framed.entity.compare(0, framed.begin, original, 0, framed.begin), 0);
  EXPECT_EQ(framed.entity.compare(framed.end, std::string::npos, original, framed.end), 0);
  restore_base64(framed.entity, decoded.released, decoded.bytes);
  EXPECT_TRUE(framed.entity == original);
}

TEST(Base64Body, SixtyFourColumnLfLines) {
  const DecodedBase64 decoded = round_trip(encode_lines(test::random_bytes(200000, 3), 64, "\n"));
  EXPECT_EQ(decoded.released.line, 64u);
  EXPECT_FALSE(decoded.released.crlf);
}

TEST(Base64Body, ABodyOfWholeLinesKeepsItsLastLine) {
  // 57 bytes are exactly one 76-character line without padding.
  const std::string body = encode_lines(test::random_bytes(57 * 40, 4), 76, "\r\n");
  const DecodedBase64 decoded = round_trip(body);
  EXPECT_EQ(decoded.released.end - decoded.released.begin, body.size() - 78);
}

TEST(Base64Body, TrailingPaddingAloneOnTheLastLineDropsWhatGmimeDrops) {
  // GMime undoes trailing '=' against the bytes it output in the same call: the bytes must be
  // those of one call over the whole body.
  const std::string lines = encode_lines(test::random_bytes(57 * 6, 12), 76, "\r\n");
  round_trip(lines + "==\r\n");
  round_trip(lines + "A==\r\n");
  round_trip(lines + "=\r\n");
}

TEST(Base64Body, IrregularLinesStopTheReleasedRunAndTheRestIsDecodedByGmime) {
  std::string body = encode_lines(test::random_bytes(57 * 20, 5), 76, "\r\n");
  // A shorter line in the middle, then 76-column lines again.
  body.insert(76 * 3 + 2 * 3 + 40, "\r\n");
  const DecodedBase64 decoded = round_trip(body);
  EXPECT_EQ(decoded.released.end - decoded.released.begin, 78u * 2);
}

TEST(Base64Body, LinesOfMixedLineEndsComeBack) {
  std::string body = encode_lines(test::random_bytes(57 * 10, 6), 76, "\r\n");
  body.erase(78 * 4 + 76, 1);  // the fifth line ends in a bare LF
  const DecodedBase64 decoded = round_trip(body);
  EXPECT_EQ(decoded.released.end - decoded.released.begin, 78u * 3);
}

TEST(Base64Body, WhitespacePaddingAndJunkInTheBodyGiveGmimesBytes) {
  const std::string lines = encode_lines(test::random_bytes(57 * 8, 8), 76, "\r\n");
  std::string with_space = lines;
  with_space.insert(78 * 2 + 10, " \t");
  round_trip(with_space);
  std::string with_padding = lines;
  with_padding[78 * 3 + 20] = '=';
  round_trip(with_padding);
  std::string with_junk = lines;
  with_junk[78 * 5 + 1] = '*';
  with_junk.insert(78 * 6 + 3, "\x01\xff");
  round_trip(with_junk);
  round_trip(lines + "  \r\n\r\n");
  round_trip("\r\n" + lines);  // an empty first line: nothing is released
}

TEST(Base64Body, LinesThatAreNotWholeGroupsAreNotReleased) {
  const std::string body = encode_lines(test::random_bytes(5000, 9), 75, "\r\n");
  const DecodedBase64 decoded = round_trip(body);
  EXPECT_TRUE(decoded.released.empty());
}

TEST(Base64Body, OverlongLinesAreNotReleased) {
  const std::string body = encode_lines(test::random_bytes(30000, 10), 1000, "\n");
  EXPECT_TRUE(round_trip(body).released.empty());
}

TEST(Base64Body, EmptyAndOneLineBodies) {
  EXPECT_TRUE(round_trip("").bytes.empty());
  EXPECT_TRUE(round_trip("\r\n").bytes.empty());
  EXPECT_EQ(round_trip("QUJD").bytes, test::bytes_of("ABC"));
  EXPECT_EQ(round_trip("QUJD\r\n").bytes, test::bytes_of("ABC"));
  EXPECT_EQ(round_trip("QUI=\r\n").bytes, test::bytes_of("AB"));
}

TEST(Base64Body, ABodyOutsideTheEntityIsAnInternalError) {
  std::string entity = "QUJD\r\n";
  EXPECT_THROW(decode_base64_releasing(entity, 4, 2), Error);
  EXPECT_THROW(decode_base64_releasing(entity, 0, entity.size() + 1), Error);
}

TEST(Base64Body, ALocatedPkcs7BodyDecodesAsTheDecodedOne) {
  test::init_gmime();
  const std::string data = test::random_bytes(2u * 1024 * 1024, 11);
  const std::vector<unsigned char> der = test::bytes_of(data);
  std::string entity = compose_pkcs7_mime(der, "enveloped-data");
  const std::string original = entity;
  ClassifiedEntity located = classify(entity, {}, SignedContent::copied, Pkcs7Body::located);
  ASSERT_TRUE(located.body_located);
  EXPECT_TRUE(located.cms_der.empty());
  const ReleasedBase64 released = decode_located_body(entity, located);
  EXPECT_FALSE(released.empty());
  EXPECT_FALSE(located.body_located);
  EXPECT_TRUE(located.cms_der == der);
  EXPECT_TRUE(located.cms_der == classify(original).cms_der);
  restore_base64(entity, released, located.cms_der);
  EXPECT_TRUE(entity == original);
}

TEST(Base64Body, ALocatedEmptyBodyIsRefusedAndTheEntityIsUnchanged) {
  test::init_gmime();
  std::string entity =
      "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n"
      "====\r\n";
  const std::string original = entity;
  ClassifiedEntity located = classify(entity, {}, SignedContent::copied, Pkcs7Body::located);
  ASSERT_TRUE(located.body_located);
  EXPECT_THROW(decode_located_body(entity, located), Error);
  EXPECT_TRUE(entity == original);
}

}  // namespace
}  // namespace smime::engine::mime
