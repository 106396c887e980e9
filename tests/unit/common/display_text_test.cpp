// escape_for_display: what reaches a terminal from certificate and message text.
#include "smime/common/display_text.hpp"

#include <gtest/gtest.h>

namespace smime {
namespace {

TEST(DisplayTextTest, ControlCharactersAndInvalidBytesAreEscaped) {
  EXPECT_EQ(escape_for_display("plain@example.com"), "plain@example.com");
  EXPECT_EQ(escape_for_display(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(escape_for_display("x\r\nBcc: y"), "x\\x0d\\x0aBcc: y");
  EXPECT_EQ(escape_for_display("\x1b[2J\x1b]0;title\x07"), "\\x1b[2J\\x1b]0;title\\x07");
  EXPECT_EQ(escape_for_display("tab\tdel\x7f"), "tab\\x09del\\x7f");
  EXPECT_EQ(escape_for_display("csi\xc2\x9b"
                               "31m"),
            "csi\\xc2\\x9b31m");                                  // C1 control
  EXPECT_EQ(escape_for_display("bad\xff\xc3"), "bad\\xff\\xc3");  // invalid, truncated
  EXPECT_EQ(escape_for_display("J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x93\xa7"),
            "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x93\xa7");          // printable UTF-8 is kept
  EXPECT_EQ(escape_for_display("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
}

TEST(DisplayTextTest, FirstInvalidUtf8) {
  EXPECT_FALSE(first_invalid_utf8("ok \xc3\xa9").has_value());
  EXPECT_EQ(first_invalid_utf8("ok\xc0\xaf"), 2u);  // overlong
}

}  // namespace
}  // namespace smime
