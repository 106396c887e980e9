// classify: recognising S/MIME entities and extracting the signed bytes and CMS DER.
#include <gtest/gtest.h>

#include "mime_test_util.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {
namespace {

using test::bytes_of;
using test::crlf;

// Base64 of these bytes: "MIIBAgMEBQ==" is 30 82 01 02 03 04 05.
const std::vector<unsigned char> kDer = {0x30, 0x82, 0x01, 0x02, 0x03, 0x04, 0x05};
const std::string kDerBase64 = "MIIBAgMEBQ==";

std::string invalid_message(std::string_view entity) {
  try {
    classify(entity);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    return e.what();
  }
  ADD_FAILURE() << "classified without error: " << entity;
  return {};
}

std::string signed_entity(std::string_view protocol, std::string_view first_part,
                          std::string_view second_part) {
  return "Content-Type: multipart/signed; protocol=\"" + std::string(protocol) +
         "\"; micalg=SHA-256;\r\n boundary=\"sig\"\r\n"
         "\r\n"
         "preamble --sig not a delimiter\r\n"
         "--sig\r\n" +
         std::string(first_part) + "\r\n--sig\r\n" + std::string(second_part) + "\r\n--sig--\r\n";
}

const std::string kSignaturePart =
    "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n" +
    kDerBase64;

TEST(MimeClassify, MultipartSignedGivesExactSignedBytes) {
  // Trailing whitespace lines, an indented line and a near-delimiter inside the content.
  const std::string content =
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "\r\n"
      "text with trailing blanks   \r\n"
      " --sig is not at the start of the line\r\n"
      "--sigX is a longer boundary\r\n"
      "   \r\n"
      "\t\r\n"
      "\r\n";
  for (const char* protocol : {"application/pkcs7-signature", "application/x-pkcs7-signature"}) {
    ClassifiedEntity c = classify(signed_entity(protocol, content, kSignaturePart));
    EXPECT_EQ(c.kind, EntityKind::multipart_signed);
    EXPECT_EQ(c.content_type, "multipart/signed");
    EXPECT_EQ(c.micalg, "sha-256");
    EXPECT_EQ(c.signed_content, content);
    EXPECT_EQ(c.cms_der, kDer);
  }
}

TEST(MimeClassify, XPkcs7SignaturePartAndPaddedDelimiters) {
  const std::string entity =
      "Content-Type: multipart/signed; protocol=\"application/x-pkcs7-signature\";"
      " micalg=sha1; boundary=b\r\n"
      "\r\n"
      "--b  \r\n"
      "Content-Type: text/plain\r\n\r\nhi\r\n"
      "--b\t\r\n"
      "Content-Type: application/x-pkcs7-signature; name=smime.p7s\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      kDerBase64 + "\r\n--b--   \r\nepilogue\r\n";
  ClassifiedEntity c = classify(entity);
  EXPECT_EQ(c.kind, EntityKind::multipart_signed);
  EXPECT_EQ(c.micalg, "sha1");
  // The CRLF before a delimiter line belongs to the delimiter (RFC 2046 §5.1.1).
  EXPECT_EQ(c.signed_content, "Content-Type: text/plain\r\n\r\nhi");
  EXPECT_EQ(c.cms_der, kDer);
}

TEST(MimeClassify, LfOnlySignedContentIsReturnedCanonical) {
  const std::string content = "Content-Type: text/plain\n\nline one\nline two  \n\n";
  const std::string entity =
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";"
      " micalg=sha-256; boundary=\"lf\"\n"
      "\n"
      "--lf\n" +
      content +
      "\n--lf\n"
      "Content-Type: application/pkcs7-signature\n"
      "Content-Transfer-Encoding: base64\n\n" +
      kDerBase64 + "\n--lf--\n";
  ClassifiedEntity c = classify(entity);
  EXPECT_EQ(c.kind, EntityKind::multipart_signed);
  EXPECT_EQ(c.signed_content, crlf(content));
  EXPECT_EQ(c.cms_der, kDer);
}

TEST(MimeClassify, MultipartSignedWithOnlyOnePartIsBroken) {
  const std::string entity =
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=one\r\n"
      "\r\n--one\r\nContent-Type: text/plain\r\n\r\nunsigned\r\n--one--\r\n";
  std::string what = invalid_message(entity);
  EXPECT_NE(what.find("signature part is missing"), std::string::npos) << what;
}

TEST(MimeClassify, SignaturePartOfTheWrongTypeIsBroken) {
  std::string what = invalid_message(
      signed_entity("application/pkcs7-signature", "Content-Type: text/plain\r\n\r\nx",
                    "Content-Type: text/plain\r\n\r\nnot a signature"));
  EXPECT_NE(what.find("text/plain"), std::string::npos) << what;
}

TEST(MimeClassify, MissingBoundaryOrEmptySignatureIsBroken) {
  invalid_message(
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"\r\n\r\nbody\r\n");
  std::string what = invalid_message(signed_entity("application/pkcs7-signature",
                                                   "Content-Type: text/plain\r\n\r\nx",
                                                   "Content-Type: application/pkcs7-signature\r\n"
                                                   "Content-Transfer-Encoding: base64\r\n\r\n"));
  EXPECT_NE(what.find("empty"), std::string::npos) << what;
}

TEST(MimeClassify, OtherSignatureProtocolsArePlain) {
  ClassifiedEntity c =
      classify(signed_entity("application/pgp-signature", "Content-Type: text/plain\r\n\r\nx",
                             "Content-Type: application/pgp-signature\r\n\r\nsig"));
  EXPECT_EQ(c.kind, EntityKind::plain);
  EXPECT_EQ(c.content_type, "multipart/signed");
  EXPECT_TRUE(c.cms_der.empty());
}

TEST(MimeClassify, Pkcs7MimeVariants) {
  struct Case {
    std::string content_type;
    std::string smime_type;
  };
  for (const Case& c :
       {Case{"application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m", "enveloped-data"},
        Case{"application/x-pkcs7-mime; smime-type=Signed-Data; name=smime.p7m", "signed-data"},
        Case{"Application/PKCS7-MIME; smime-type=authEnveloped-data", "authenveloped-data"},
        Case{"application/pkcs7-mime", ""},
        Case{"application/octet-stream; name=\"smime.p7m\"", ""},
        Case{"application/octet-stream; name=\"SMIME.P7M\"", ""}}) {
    ClassifiedEntity result =
        classify("Content-Type: " + c.content_type +
                 "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + kDerBase64 + "\r\n");
    EXPECT_EQ(result.kind, EntityKind::pkcs7_mime) << c.content_type;
    EXPECT_EQ(result.smime_type, c.smime_type) << c.content_type;
    EXPECT_EQ(result.cms_der, kDer) << c.content_type;
  }
  ClassifiedEntity by_filename = classify(
      "Content-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=smime.p7m\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      kDerBase64);
  EXPECT_EQ(by_filename.kind, EntityKind::pkcs7_mime);
  EXPECT_EQ(by_filename.content_type, "application/octet-stream");
}

TEST(MimeClassify, EmptyPkcs7BodyIsBroken) {
  invalid_message(
      "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n");
  invalid_message("Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\n\r\n");
}

TEST(MimeClassify, BareSignatureAndPlainEntities) {
  ClassifiedEntity signature = classify(kSignaturePart);
  EXPECT_EQ(signature.kind, EntityKind::signature_only);
  EXPECT_EQ(signature.cms_der, kDer);

  ClassifiedEntity plain = classify("Content-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n");
  EXPECT_EQ(plain.kind, EntityKind::plain);
  EXPECT_EQ(plain.content_type, "text/plain");
  EXPECT_TRUE(plain.cms_der.empty());
  EXPECT_TRUE(plain.signed_content.empty());

  ClassifiedEntity mixed =
      classify("Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n\r\nx\r\n--m--\r\n");
  EXPECT_EQ(mixed.kind, EntityKind::plain);
  EXPECT_EQ(mixed.content_type, "multipart/mixed");

  EXPECT_EQ(classify("\r\nno header at all\r\n").content_type, "text/plain");
}

TEST(MimeClassify, EntityFromSplitIncomingRoundTrips) {
  const std::string content = "Content-Type: text/plain\r\n\r\nsigned text\r\n";
  const std::string message = "From: alice@example.org\r\nMIME-Version: 1.0\r\n" +
                              signed_entity("application/pkcs7-signature", content, kSignaturePart);
  ClassifiedEntity c = classify(split_incoming(message).content_entity);
  EXPECT_EQ(c.kind, EntityKind::multipart_signed);
  EXPECT_EQ(c.signed_content, content);
  EXPECT_EQ(c.cms_der, bytes_of(std::string("\x30\x82\x01\x02\x03\x04\x05", 7)));
}

}  // namespace
}  // namespace smime::engine::mime
