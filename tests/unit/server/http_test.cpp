// Accept negotiation and header-safe values (smime/server/http.hpp).
#include "smime/server/http.hpp"

#include <gtest/gtest.h>

namespace smime::server {
namespace {

TEST(AcceptQualityTest, AnExplicitEntryWinsOverWildcards) {
  EXPECT_DOUBLE_EQ(accept_quality("message/rfc822", "message/rfc822", false), 1.0);
  EXPECT_DOUBLE_EQ(accept_quality("Message/RFC822;q=0.4, */*", "message/rfc822", false), 0.4);
  EXPECT_DOUBLE_EQ(accept_quality("application/json;q=0.3, */*;q=0.9", "application/json", true),
                   0.3);
  EXPECT_DOUBLE_EQ(accept_quality("application/*;q=0.7", "application/json", true), 0.7);
  EXPECT_DOUBLE_EQ(accept_quality("*/*;q=0.2", "application/json", true), 0.2);
}

TEST(AcceptQualityTest, WildcardsOnlyCountWhenAsked) {
  EXPECT_DOUBLE_EQ(accept_quality("*/*", "message/rfc822", false), 0.0);
  EXPECT_DOUBLE_EQ(accept_quality("message/*", "message/rfc822", false), 0.0);
  EXPECT_DOUBLE_EQ(accept_quality(std::nullopt, "application/json", true), 1.0);
  EXPECT_DOUBLE_EQ(accept_quality("", "message/rfc822", false), 0.0);
  EXPECT_DOUBLE_EQ(accept_quality("text/html", "application/json", true), 0.0);
}

TEST(AcceptQualityTest, MalformedQualitiesAcceptNothing) {
  EXPECT_DOUBLE_EQ(accept_quality("message/rfc822;q=abc", "message/rfc822", false), 0.0);
  EXPECT_DOUBLE_EQ(accept_quality("message/rfc822;q=2", "message/rfc822", false), 0.0);
  EXPECT_DOUBLE_EQ(accept_quality("message/rfc822;q=0", "message/rfc822", false), 0.0);
  EXPECT_DOUBLE_EQ(accept_quality(",,;;,message/rfc822 ; level=1", "message/rfc822", false), 1.0);
}

TEST(HeaderValueTest, OnlyPrintableAsciiReachesAHeader) {
  EXPECT_EQ(header_value("CN=Alice,O=Example"), "CN=Alice,O=Example");
  EXPECT_EQ(header_value("a\r\nSet-Cookie: x"), "a\\x0d\\x0aSet-Cookie: x");
  EXPECT_EQ(header_value("Grüße"), "Gr\\xc3\\xbc\\xc3\\x9fe");
  EXPECT_EQ(header_value(std::string("\0\x7f", 2)), "\\x00\\x7f");
}

TEST(HeaderValueTest, LongValuesAreCut) {
  const std::string cut = header_value(std::string(5000, 'a'), 100);
  EXPECT_EQ(cut.size(), 100u);
  EXPECT_EQ(cut.substr(97), "...");
  EXPECT_LE(header_value(std::string(500, '\n'), 64).size(), 64u);
}

TEST(TooLargeMessageTest, NamesTheLimitAndItsSetting) {
  EXPECT_EQ(too_large_message({1024, "incoming_body_limit"}),
            "The request body exceeds 1024 bytes (the [server] setting incoming_body_limit)");
}

}  // namespace
}  // namespace smime::server
