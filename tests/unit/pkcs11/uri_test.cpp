#include "smime/pkcs11/uri.hpp"

#include <gtest/gtest.h>

namespace smime::pkcs11 {
namespace {

TEST(UriTest, BuildsRfc7512UriWithPercentEncoding) {
  const unsigned char id[] = {0x01, 0xab, 0xff};
  EXPECT_EQ(make_uri({"Org Keys;1", "0123", id, "private"}),
            "pkcs11:token=Org%20Keys%3B1;serial=0123;id=%01%AB%FF;type=private");
  EXPECT_EQ(make_uri({"smime", "", {}, "cert"}), "pkcs11:token=smime;type=cert");
}

TEST(UriTest, RedactsPinValueAndPinSource) {
  EXPECT_EQ(redact_uri("pkcs11:token=a;id=%01?pin-value=1234&module-path=/x.so"),
            "pkcs11:token=a;id=%01?pin-value=***&module-path=/x.so");
  EXPECT_EQ(redact_uri("pkcs11:pin-value=secret;token=a"), "pkcs11:pin-value=***;token=a");
  EXPECT_EQ(redact_uri("pkcs11:token=a?pin-source=file:/pin"), "pkcs11:token=a?pin-source=***");
  EXPECT_EQ(redact_uri("pkcs11:token=a;type=private"), "pkcs11:token=a;type=private");
}

}  // namespace
}  // namespace smime::pkcs11
