// parse_addresses: what the engine looks certificates up for.
#include <gtest/gtest.h>

#include "mime_test_util.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {
namespace {

using Addresses = std::vector<std::string>;

// An internationalised domain is looked up in its ASCII (IDNA) form, what rfc822Name holds;
// an ASCII address is its own form (lowercased), without libidn2.
TEST(MimeAddresses, InternationalDomainsTakeTheirIdnaForm) {
  MessageAddresses a = parse_addresses(
      "From: J\xc3\xbcrgen <juergen@B\xc3\xbc"
      "cher.example>\n"
      "To: Plain <Plain.User@Example.NET>, xn--bcher-kva@xn--bcher-kva.example\n"
      "\n");
  EXPECT_EQ(a.from, Addresses{"juergen@xn--bcher-kva.example"});
  EXPECT_EQ(a.to, (Addresses{"plain.user@example.net", "xn--bcher-kva@xn--bcher-kva.example"}));
}

TEST(MimeAddresses, ParsesNamesGroupsCommentsAndCase) {
  MessageAddresses a = parse_addresses(
      "From: \"Doe, Alice\" <Alice.Doe@Example.ORG>\n"
      "Sender: secretary@example.org (the secretary)\n"
      "To: Bob <bob@example.net>, carol@EXAMPLE.com (Carol C.),\n"
      "  =?UTF-8?B?SsO8cmdlbg==?= <juergen@example.de>\n"
      "Cc: Team: dave@example.net, \"Eve E.\" <eve@example.net>;, frank@example.net\n"
      "To: second-to@example.net, bob@example.net\n"
      "Cc: undisclosed-recipients:;\n"
      "Bcc: hidden@example.net\n"
      "Bcc: Other <other@example.net>\n"
      "Message-ID: <1234.5678@mail.example.org>\n"
      "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus\n K=?ISO-8859-1?Q?=F6?=ln\n"
      "Content-Type: text/plain\n"
      "\n"
      "To: not-a-header@example.net\n");
  EXPECT_EQ(a.from, Addresses{"alice.doe@example.org"});
  EXPECT_EQ(a.sender, Addresses{"secretary@example.org"});
  EXPECT_EQ(a.to, (Addresses{"bob@example.net", "carol@example.com", "juergen@example.de",
                             "second-to@example.net"}));
  EXPECT_EQ(a.cc, (Addresses{"dave@example.net", "eve@example.net", "frank@example.net"}));
  EXPECT_EQ(a.bcc, (Addresses{"hidden@example.net", "other@example.net"}));
  EXPECT_EQ(a.message_id, "1234.5678@mail.example.org");
  EXPECT_EQ(a.subject,
            "Gr\xc3\xbc\xc3\x9f"
            "e aus K\xc3\xb6ln");
}

TEST(MimeAddresses, EncodedWordDisplayNamesDoNotLeakIntoAddresses) {
  MessageAddresses a = parse_addresses(
      "From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <Joerg@Example.org>\r\n"
      "To: =?UTF-8?B?QiwgPGZha2VAZXZpbC5leGFtcGxlPg==?= <b@example.net>\r\n"
      "\r\n");
  EXPECT_EQ(a.from, Addresses{"joerg@example.org"});
  // The encoded display name decodes to 'B, <fake@evil.example>': it is a name, not an address.
  EXPECT_EQ(a.to, Addresses{"b@example.net"});
  EXPECT_TRUE(a.cc.empty());
  EXPECT_TRUE(a.message_id.empty());
  EXPECT_TRUE(a.subject.empty());
}

// The fields come from the strict header scanner, not a GMime message: Message-ID and Subject
// read as GMime's message parser reads them (the last of each counts, comments dropped).
TEST(MimeAddresses, TheLastMessageIdAndSubjectCountAsInGMime) {
  MessageAddresses a = parse_addresses(
      "Message-ID: <first@example.org>\r\nSubject: one\r\nFrom: a@example.org\r\n"
      "Message-ID: (comment) <second@example.org> (another)\r\n"
      "Subject: =?UTF-8?Q?tw=C3=B6?=\r\n"
      "\r\n");
  EXPECT_EQ(a.message_id, "second@example.org");
  EXPECT_EQ(a.subject, "tw\xc3\xb6");
  EXPECT_EQ(a.from, Addresses{"a@example.org"});
}

TEST(MimeAddresses, RejectsWhatIsNotAMessage) {
  EXPECT_THROW(parse_addresses(""), Error);
  EXPECT_THROW(parse_addresses("hello world\n"), Error);
}

}  // namespace
}  // namespace smime::engine::mime
