// prepare_outgoing: the split, CRLF canonicalisation and 7-bit safety of the signed entity.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "mime_test_util.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {
namespace {

using test::crlf;
using test::leaves_of;

void expect_invalid(std::string_view message) {
  try {
    prepare_outgoing(message);
    ADD_FAILURE() << "accepted: " << testing::PrintToString(std::string(message));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input) << e.what();
  }
}

TEST(MimeOutgoing, SplitsOuterHeadersFromTheEntity) {
  const std::string message =
      "Received: from mx.example.org (mx.example.org [192.0.2.1])\n"
      "\tby relay.example.net with ESMTPS; Mon, 1 Jan 2024 10:00:00 +0000\n"
      "From: Alice <alice@example.org>\n"
      "To: bob@example.net\n"
      "Subject: =?UTF-8?B?R3LDvMOfZQ==?= from\n Alice\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/plain;\n"
      "  charset=us-ascii\n"
      "X-Mailer: test  mailer\n"
      "Content-Transfer-Encoding: 7bit\n"
      "Content-Disposition: inline\n"
      "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
      "\n"
      "Hello Bob.\n";
  SplitMessage split = prepare_outgoing(message);
  EXPECT_EQ(split.outer_headers,
            crlf("Received: from mx.example.org (mx.example.org [192.0.2.1])\n"
                 "\tby relay.example.net with ESMTPS; Mon, 1 Jan 2024 10:00:00 +0000\n"
                 "From: Alice <alice@example.org>\n"
                 "To: bob@example.net\n"
                 "Subject: =?UTF-8?B?R3LDvMOfZQ==?= from\n Alice\n"
                 "X-Mailer: test  mailer\n"
                 "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"));
  EXPECT_EQ(split.content_entity, crlf("Content-Type: text/plain;\n"
                                       "  charset=us-ascii\n"
                                       "Content-Transfer-Encoding: 7bit\n"
                                       "Content-Disposition: inline\n"
                                       "\n"
                                       "Hello Bob.\n"));
  EXPECT_EQ(split.outer_headers.find("MIME-Version"), std::string::npos);
  EXPECT_EQ(split.content_entity.find("MIME-Version"), std::string::npos);
  EXPECT_TRUE(test::is_crlf_only(split.outer_headers));
  EXPECT_TRUE(test::is_crlf_only(split.content_entity));
  // The same message with CRLF line endings gives the same result.
  SplitMessage again = prepare_outgoing(crlf(message));
  EXPECT_EQ(again.outer_headers, split.outer_headers);
  EXPECT_EQ(again.content_entity, split.content_entity);
}

// A 7-bit multipart message whose body must survive byte for byte.
const std::string kMultipartBody =
    "This is a multi-part message in MIME format.\n"
    "\n"
    "--=_outer\n"
    "Content-Type: multipart/alternative; boundary=\"=_alt\"\n"
    "\n"
    "--=_alt\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n"
    "Plain text   \n"
    "  with odd  spacing\t\n"
    "\n"
    "--=_alt\n"
    "Content-Type: text/html; charset=us-ascii\n"
    "\n"
    "<p>HTML</p>\n"
    "--=_alt--\n"
    "alternative epilogue\n"
    "\n"
    "--=_outer\n"
    "Content-Type: application/octet-stream; name=\"data.bin\"\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment; filename=\"data.bin\"\n"
    "\n"
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\n"
    "MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f\n"
    "\n"
    "--=_outer\n"
    "Content-Type: message/rfc822\n"
    "Content-Disposition: attachment\n"
    "\n"
    "From: Carol <carol@example.com>\n"
    "Subject: forwarded\n"
    "Content-Type: text/plain\n"
    "\n"
    "Inner body.\n"
    "\n"
    "--=_outer--\n"
    "epilogue\n";

TEST(MimeOutgoing, KeepsSevenBitMultipartBytesExactly) {
  const std::string entity_fields = "Content-Type: multipart/mixed;\n boundary=\"=_outer\"\n";
  const std::string message =
      "From: alice@example.org\n"
      "To: bob@example.net\n"
      "MIME-Version: 1.0\n" +
      entity_fields + "Subject: parts\n\n" + kMultipartBody;
  const std::string expected = crlf(entity_fields + "\n" + kMultipartBody);

  SplitMessage canonical = prepare_outgoing(crlf(message));
  EXPECT_EQ(canonical.content_entity, expected);
  // The entity is the CRLF input minus the outer fields: a substring of it.
  EXPECT_NE(crlf(message).find(crlf(kMultipartBody)), std::string::npos);
  EXPECT_TRUE(canonical.content_entity.ends_with(crlf(kMultipartBody)));

  SplitMessage from_lf = prepare_outgoing(message);
  EXPECT_EQ(from_lf.content_entity, expected);
  EXPECT_EQ(from_lf.outer_headers, crlf("From: alice@example.org\nTo: bob@example.net\n"
                                        "Subject: parts\n"));
  EXPECT_EQ(leaves_of(expected).size(), 4u);
}

const std::string kUtf8Text =
    "Gr\xc3\xbc\xc3\x9f"
    "e aus K\xc3\xb6ln, \xe2\x82\xac 10   \n"
    "=zweite Zeile mit Gleichheitszeichen\n"
    "\xf0\x9f\x98\x80 and trailing tab\t\n";

// A body part's content as a multipart holds it: its last line break belongs to the next
// delimiter line (RFC 2046 §5.1.1), so the decoded content ends without it.
std::string inside_multipart(const std::string& text) {
  std::string content = crlf(text);
  content.resize(content.size() - 2);
  return content;
}

TEST(MimeOutgoing, EightBitTextBecomesQuotedPrintable) {
  const std::string message =
      "From: alice@example.org\n"
      "Content-Type: multipart/mixed; boundary=b1\n"
      "\n"
      "--b1\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\n"
      "Content-Disposition: inline\n"
      "\n" +
      kUtf8Text +
      "--b1\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "untouched\n"
      "--b1--\n";
  SplitMessage split = prepare_outgoing(message);
  const std::string& entity = split.content_entity;
  EXPECT_TRUE(test::is_seven_bit(entity, 998));
  EXPECT_TRUE(test::is_crlf_only(entity));
  EXPECT_NE(entity.find("Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Disposition: inline\r\n"
                        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"),
            std::string::npos)
      << entity;
  EXPECT_EQ(entity.find("8bit"), std::string::npos);
  EXPECT_NE(entity.find("--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nuntouched\r\n"
                        "--b1--\r\n"),
            std::string::npos);
  auto leaves = leaves_of(entity);
  ASSERT_EQ(leaves.size(), 2u);
  EXPECT_EQ(leaves[0].encoding, "quoted-printable");
  EXPECT_EQ(test::canon(leaves[0].decoded), inside_multipart(kUtf8Text));
  EXPECT_NE(leaves[0].raw.find("=C3=BC"), std::string::npos);
}

TEST(MimeOutgoing, SinglePartEightBitTextDecodesToTheSameUtf8) {
  SplitMessage split = prepare_outgoing(
      "From: alice@example.org\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\n"
      "\n" +
      kUtf8Text);
  EXPECT_TRUE(
      split.content_entity.starts_with("Content-Type: text/plain; charset=utf-8\r\n"
                                       "Content-Transfer-Encoding: quoted-printable\r\n\r\n"))
      << split.content_entity;
  EXPECT_TRUE(test::is_seven_bit(split.content_entity, 76));
  auto leaves = leaves_of(split.content_entity);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(test::canon(leaves[0].decoded), crlf(kUtf8Text));
}

TEST(MimeOutgoing, BinaryNonTextPartsBecomeBase64) {
  // Every byte value, including CR, LF and NUL, in CRLF and LF framed messages.
  std::string data;
  for (int round = 0; round < 3; ++round) {
    for (int b = 0; b < 256; ++b) data.push_back(static_cast<char>(b));
  }
  // Not ending in CR: in an LF framed message CR LF "--xyz" is a CRLF delimiter.
  data += "\r\r\n\n\rend";
  const std::string eight_bit = "%PDF-1.7 \xe2\xe3\xcf\xd3 binary-ish but without breaks";
  for (const char* newline : {"\r\n", "\n"}) {
    std::string nl = newline;
    std::string message = "From: alice@example.org" + nl +
                          "Content-Type: multipart/mixed; boundary=\"xyz\"" + nl + nl + "--xyz" +
                          nl + "Content-Type: text/plain" + nl + nl + "see attachments" + nl +
                          "--xyz" + nl + "Content-Type: application/octet-stream" + nl +
                          "Content-Transfer-Encoding: binary" + nl + nl + data + nl + "--xyz" + nl +
                          "Content-Type: application/pdf" + nl + "Content-Transfer-Encoding: 8bit" +
                          nl + nl + eight_bit + nl + "--xyz--" + nl;
    SplitMessage split = prepare_outgoing(message);
    EXPECT_TRUE(test::is_seven_bit(split.content_entity, 76));
    EXPECT_TRUE(test::is_crlf_only(split.content_entity));
    auto leaves = leaves_of(split.content_entity);
    ASSERT_EQ(leaves.size(), 3u);
    EXPECT_EQ(leaves[0].decoded, "see attachments");
    EXPECT_EQ(leaves[1].encoding, "base64");
    EXPECT_EQ(leaves[1].decoded, data);
    EXPECT_EQ(leaves[2].encoding, "base64");
    EXPECT_EQ(leaves[2].decoded, eight_bit);
    EXPECT_EQ(split.content_entity.find("binary"), std::string::npos);
  }
}

TEST(MimeOutgoing, SinglePartBinaryBodyBecomesBase64) {
  const std::string data = test::random_bytes(10000, 7);
  SplitMessage split = prepare_outgoing(
      "From: alice@example.org\r\n"
      "Content-Type: image/png\r\n"
      "Content-Transfer-Encoding: binary\r\n"
      "\r\n" +
      data);
  EXPECT_TRUE(split.content_entity.starts_with(
      "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"));
  auto leaves = leaves_of(split.content_entity);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(leaves[0].decoded, data);
}

TEST(MimeOutgoing, OverlongLinesAreEncoded) {
  const std::string long_line(1200, 'a');
  SplitMessage text = prepare_outgoing("From: alice@example.org\nContent-Type: text/plain\n\n" +
                                       long_line + "\nshort\n");
  EXPECT_TRUE(test::is_seven_bit(text.content_entity, 76));
  EXPECT_NE(text.content_entity.find("Content-Transfer-Encoding: quoted-printable"),
            std::string::npos);
  auto leaves = leaves_of(text.content_entity);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(test::canon(leaves[0].decoded), crlf(long_line + "\nshort\n"));

  const std::string exactly_998(998, 'b');
  SplitMessage fits =
      prepare_outgoing("From: a@example.org\nContent-Type: text/plain\n\n" + exactly_998 + "\n");
  EXPECT_EQ(fits.content_entity, "Content-Type: text/plain\r\n\r\n" + exactly_998 + "\r\n");

  SplitMessage other = prepare_outgoing(
      "From: a@example.org\nContent-Type: application/json\nContent-Transfer-Encoding: 7bit\n\n" +
      std::string(1500, '1'));
  EXPECT_NE(other.content_entity.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
  EXPECT_EQ(other.content_entity.find("7bit"), std::string::npos);
  EXPECT_EQ(leaves_of(other.content_entity).at(0).decoded, std::string(1500, '1'));
}

// The 7-bit check reads eight bytes at a time: a NUL or 8-bit byte at any offset is found.
TEST(MimeOutgoing, An8BitByteOrNulAtAnyOffsetIsReencoded) {
  const std::string head =
      "From: a@example.org\nContent-Type: application/json\nContent-Transfer-Encoding: 7bit\n\n";
  for (std::size_t at = 0; at < 24; ++at) {
    for (const char bad : {'\0', '\x80', '\xff'}) {
      std::string body(40, 'a');
      body[at] = bad;
      SplitMessage s = prepare_outgoing(head + body + "\n");
      EXPECT_NE(s.content_entity.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos)
          << "offset " << at << ", byte " << static_cast<int>(static_cast<unsigned char>(bad));
    }
  }
  SplitMessage clean = prepare_outgoing(head + std::string(40, 'a') + "\n");
  EXPECT_NE(clean.content_entity.find("7bit"), std::string::npos);
}

// A bare CR ends a line too (it becomes CRLF): two 600-octet halves fit, 999 octets do not.
TEST(MimeOutgoing, TheLineLimitCountsFromCrAndLf) {
  const std::string head = "From: a@example.org\nContent-Type: text/plain\n\n";
  SplitMessage halves =
      prepare_outgoing(head + std::string(600, 'c') + "\r" + std::string(600, 'd') + "\n");
  EXPECT_EQ(halves.content_entity, "Content-Type: text/plain\r\n\r\n" + std::string(600, 'c') +
                                       "\r\n" + std::string(600, 'd') + "\r\n");
  SplitMessage long_line =
      prepare_outgoing(head + std::string(999, 'c') + "\r" + std::string(10, 'd') + "\n");
  EXPECT_NE(long_line.content_entity.find("quoted-printable"), std::string::npos);
}

// The line check jumps a window of 999 octets at a time to its last LF: a line of 999 is found
// wherever it starts relative to those windows, and 998 always fits.
TEST(MimeOutgoing, TheLineLimitHoldsWhereverTheLongLineStarts) {
  const std::string head = "From: a@example.org\nContent-Type: text/plain\n\n";
  for (std::size_t lead = 0; lead < 1100; lead += 37) {
    std::string before;
    for (std::size_t i = 0; before.size() < lead; ++i) before += std::string(i % 90, 'x') + "\n";
    for (const std::size_t length : {998, 999}) {
      for (const char* after : {"\nshort\n", "\n", ""}) {
        const std::string body = before + std::string(length, 'L') + after;
        SplitMessage s = prepare_outgoing(head + body);
        const bool reencoded = s.content_entity.find("quoted-printable") != std::string::npos;
        EXPECT_EQ(reencoded, length == 999)
            << "lead " << before.size() << ", line " << length << ", then " << std::strlen(after);
        EXPECT_TRUE(test::is_seven_bit(s.content_entity, 998));
      }
    }
  }
}

// The one-pass check of CRLF agrees with the rule (every LF after a CR, every CR before an LF)
// on every string of a, CR and LF up to 9 bytes, which puts each at every offset of a word.
TEST(MimeOutgoing, CanonicalLineEndingsAreRecognisedAtEveryOffset) {
  const auto by_rule = [](const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
      if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return false;
    }
    return true;
  };
  const char alphabet[] = {'a', '\r', '\n'};
  std::size_t checked = 0;
  for (std::size_t length = 0; length <= 9; ++length) {
    std::size_t combinations = 1;
    for (std::size_t i = 0; i < length; ++i) combinations *= 3;
    for (std::size_t n = 0; n < combinations; ++n) {
      std::string text;
      for (std::size_t i = 0, rest = n; i < length; ++i, rest /= 3) text += alphabet[rest % 3];
      for (const std::string& padded : {text, std::string(13, 'p') + text + "\r\n"}) {
        ASSERT_EQ(has_canonical_line_endings(padded), by_rule(padded))
            << testing::PrintToString(padded);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2u * 29524u);
}

TEST(MimeOutgoing, MessageWithoutContentTypeGetsTextPlain) {
  SplitMessage ascii = prepare_outgoing("From: a@example.org\nSubject: hi\n\nhello\n");
  EXPECT_EQ(ascii.content_entity, "Content-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n");
  EXPECT_EQ(ascii.outer_headers, "From: a@example.org\r\nSubject: hi\r\n");

  SplitMessage utf8 = prepare_outgoing("From: a@example.org\nMIME-Version: 1.0\n\n" + kUtf8Text);
  EXPECT_TRUE(
      utf8.content_entity.starts_with("Content-Type: text/plain; charset=utf-8\r\n"
                                      "Content-Transfer-Encoding: quoted-printable\r\n"
                                      "\r\n"))
      << utf8.content_entity;
  EXPECT_EQ(test::canon(leaves_of(utf8.content_entity).at(0).decoded), crlf(kUtf8Text));
}

TEST(MimeOutgoing, EncodedWordSubjectStaysRaw) {
  const std::string subject = "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= =?UTF-8?B?w7x4?=\n";
  SplitMessage split = prepare_outgoing("From: a@example.org\n" + subject + "\nbody\n");
  EXPECT_EQ(split.outer_headers, crlf("From: a@example.org\n" + subject));
}

TEST(MimeOutgoing, RejectsWhatIsNotAMessage) {
  expect_invalid("");
  expect_invalid("hello world");
  expect_invalid("hello world\n\nmore text\n");
  expect_invalid("\nFrom: a@example.org\n");
  expect_invalid(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  expect_invalid(test::random_bytes(4096, 3));
  expect_invalid("From alice@example.org Mon Jan  1 10:00:00 2024\nFrom: a@example.org\n\nx\n");
  expect_invalid("To: bob@example.net\nSubject: no sender\n\nbody\n");
  expect_invalid("From: a@example.org\nthis is not a header\n\nbody\n");
  expect_invalid(" From: a@example.org\n\nbody\n");
  try {
    prepare_outgoing("To: bob@example.net\n\nbody\n");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("From"), std::string::npos) << e.what();
  }
}

TEST(MimeOutgoing, CanonicalisesMixedLineEndings) {
  SplitMessage split = prepare_outgoing(
      "From: a@example.org\r\nTo: b@example.net\nSubject: x\r\n\nline1\r\nline2\nline3\rline4\n");
  EXPECT_EQ(split.outer_headers, "From: a@example.org\r\nTo: b@example.net\r\nSubject: x\r\n");
  EXPECT_EQ(
      split.content_entity,
      "Content-Type: text/plain; charset=us-ascii\r\n\r\nline1\r\nline2\r\nline3\r\nline4\r\n");
}

// A single 7-bit safe leaf skips GMime's parse of the entity; whatever its declared encoding,
// it comes out as the full parse would leave it: only canonicalised. An unusual structure
// (two encodings named) still goes through GMime, which re-encodes its 8-bit text.
TEST(MimeOutgoing, SevenBitSinglePartsAreOnlyCanonicalised) {
  for (const char* encoding : {"7bit", "8BIT", " quoted-printable", "base64"}) {
    const std::string body = std::string(encoding) == "base64" ? "aGVsbG8=\n" : "hello\nworld\n";
    SplitMessage split = prepare_outgoing(
        "From: a@example.org\nContent-Type: text/plain\n"
        "Content-Transfer-Encoding: " +
        std::string(encoding) + "\n\n" + body);
    EXPECT_EQ(split.content_entity,
              "Content-Type: text/plain\r\nContent-Transfer-Encoding: " + std::string(encoding) +
                  "\r\n\r\n" + canonicalize_line_endings(body))
        << encoding;
  }
  SplitMessage twice = prepare_outgoing(
      "From: a@example.org\nContent-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\nContent-Transfer-Encoding: 8bit\n\nGr\xc3\xbc\xc3\x9f"
      "e\n");
  EXPECT_NE(twice.content_entity.find("quoted-printable"), std::string::npos)
      << twice.content_entity;
}

TEST(MimeOutgoing, ZeroByteBodyIsFine) {
  SplitMessage empty = prepare_outgoing("From: a@example.org\nContent-Type: text/plain\n\n");
  EXPECT_EQ(empty.content_entity, "Content-Type: text/plain\r\n\r\n");
  SplitMessage no_blank_line = prepare_outgoing("From: a@example.org\nSubject: x\n");
  EXPECT_EQ(no_blank_line.outer_headers, "From: a@example.org\r\nSubject: x\r\n");
  EXPECT_EQ(no_blank_line.content_entity, "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
  SplitMessage no_final_newline = prepare_outgoing("From: a@example.org");
  EXPECT_EQ(no_final_newline.outer_headers, "From: a@example.org\r\n");
}

TEST(MimeOutgoing, EightBitInsideAttachedMessageIsReencoded) {
  const std::string message =
      "From: a@example.org\n"
      "Content-Type: multipart/mixed; boundary=\"m\"\n"
      "\n"
      "--m\n"
      "Content-Type: message/rfc822\n"
      "\n"
      "From: inner@example.com\n"
      "Subject: inner\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\n"
      "X-After: kept\n"
      "\n" +
      kUtf8Text + "--m--\n";
  SplitMessage split = prepare_outgoing(message);
  EXPECT_TRUE(test::is_seven_bit(split.content_entity, 998));
  EXPECT_NE(split.content_entity.find("From: inner@example.com\r\nSubject: inner\r\n"
                                      "Content-Type: text/plain; charset=utf-8\r\n"
                                      "X-After: kept\r\n"
                                      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"),
            std::string::npos)
      << split.content_entity;
  auto leaves = leaves_of(split.content_entity);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_EQ(test::canon(leaves[0].decoded), inside_multipart(kUtf8Text));
}

TEST(MimeOutgoing, HeaderlessPartGetsItsEncodingField) {
  SplitMessage split = prepare_outgoing(
      "From: a@example.org\n"
      "Content-Type: multipart/mixed; boundary=\"m\"\n"
      "\n"
      "--m\n"
      "\n" +
      kUtf8Text + "--m--\n");
  EXPECT_NE(split.content_entity.find("--m\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"),
            std::string::npos)
      << split.content_entity;
  EXPECT_EQ(test::canon(leaves_of(split.content_entity).at(0).decoded),
            inside_multipart(kUtf8Text));
}

TEST(MimeOutgoing, AlreadySignedContentIsNotTouched) {
  const std::string signed_body =
      "--s\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\n"
      "\n"
      "\xc3\xbc\n"
      "--s\n"
      "Content-Type: application/pkcs7-signature\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "AAAA\n"
      "--s--\n";
  const std::string fields =
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
      "micalg=sha-256; boundary=\"s\"\n";
  SplitMessage split = prepare_outgoing("From: a@example.org\n" + fields + "\n" + signed_body);
  EXPECT_EQ(split.content_entity, crlf(fields + "\n" + signed_body));
}

}  // namespace
}  // namespace smime::engine::mime

namespace smime::engine::mime {
namespace {

// Issue 11 item 14: outer header lines are folded; a word too long for any line becomes
// encoded-words that GMime decodes back to the same text.
TEST(HeaderFoldingTest, LongUnstructuredWordsBecomeEncodedWords) {
  const std::string word = std::string(1'500, 'a') + "\xc3\xa9" + std::string(1'500, 'b');
  const std::string message =
      "From: a@example.com\r\nX-Note: before " + word + " after\r\nSubject: short\r\n\r\nbody\r\n";
  const SplitMessage split = prepare_outgoing(message);
  std::size_t longest = 0;
  for (std::size_t pos = 0; pos < split.outer_headers.size();) {
    const std::size_t end = split.outer_headers.find("\r\n", pos);
    longest = std::max(longest, end - pos);
    pos = end + 2;
  }
  EXPECT_LE(longest, 78u) << split.outer_headers.substr(0, 300);
  const std::size_t at = split.outer_headers.find("X-Note:");
  ASSERT_NE(at, std::string::npos);
  const std::string value =
      split.outer_headers.substr(at + 7, split.outer_headers.find("\r\nSubject:") - (at + 7));
  g_mime_init();
  char* unfolded = g_mime_utils_header_unfold(value.c_str());
  char* decoded = g_mime_utils_header_decode_text(nullptr, unfolded);
  EXPECT_TRUE(std::string(decoded) == "before " + word + " after");
  g_free(decoded);
  g_free(unfolded);
  EXPECT_NE(split.outer_headers.find("Subject: short\r\n"), std::string::npos);
}

TEST(HeaderFoldingTest, ShortHeadersAreUntouchedAndLongStructuredWordsRefused) {
  const std::string message = "From: a@example.com\r\nTo: b@example.com\r\n\r\nx\r\n";
  EXPECT_EQ(prepare_outgoing(message).outer_headers,
            "From: a@example.com\r\nTo: b@example.com\r\n");
  EXPECT_THROW(prepare_outgoing("From: a@example.com\r\nMessage-ID: <" + std::string(1'200, 'i') +
                                "@x>\r\n\r\nx\r\n"),
               Error);
}

}  // namespace
}  // namespace smime::engine::mime
