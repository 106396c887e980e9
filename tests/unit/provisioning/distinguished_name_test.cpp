#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <string>
#include <utility>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/provisioning/certificate_builder.hpp"

namespace smime::provisioning {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;  // short name, UTF-8 value

// The name's entries in DER order, as (short name, value).
Entries entries_of(const X509_NAME* name) {
  Entries out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
    out.emplace_back(OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry))),
                     std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                                 static_cast<std::size_t>(ASN1_STRING_length(data))));
  }
  return out;
}

// Index of the RDN (SET) each entry belongs to.
std::vector<int> rdn_sets(const X509_NAME* name) {
  std::vector<int> sets;
  sets.reserve(static_cast<std::size_t>(X509_NAME_entry_count(name)));
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    sets.push_back(X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i)));
  }
  return sets;
}

// Runs parse and returns the invalid_input message; fails the test on any other outcome.
std::string parse_error(const std::string& text) {
  try {
    parse_distinguished_name(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input) << text << ": " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "'" << text << "' was accepted";
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(DistinguishedName, ParsesRfc4514InWrittenOrder) {
  X509NamePtr name = parse_distinguished_name("CN=Support Team,O=Example\\, Inc.,C=DE");
  EXPECT_EQ(entries_of(name.get()),
            (Entries{{"CN", "Support Team"}, {"O", "Example, Inc."}, {"C", "DE"}}));
  EXPECT_EQ(rdn_sets(name.get()), (std::vector<int>{0, 1, 2}));
}

TEST(DistinguishedName, ParsesSlashFormInWrittenOrder) {
  X509NamePtr name = parse_distinguished_name("/CN=Support Team/O=Example, Inc./C=DE");
  EXPECT_EQ(entries_of(name.get()),
            (Entries{{"CN", "Support Team"}, {"O", "Example, Inc."}, {"C", "DE"}}));
}

TEST(DistinguishedName, BothFormsGiveTheSameName) {
  X509NamePtr comma = parse_distinguished_name("CN=a,OU=b,O=c,C=DE");
  X509NamePtr slash = parse_distinguished_name("/CN=a/OU=b/O=c/C=DE");
  EXPECT_EQ(X509_NAME_cmp(comma.get(), slash.get()), 0);
}

TEST(DistinguishedName, DecodesRfc4514Escapes) {
  X509NamePtr name =
      parse_distinguished_name("CN=\\#1 \\+ one\\; \\<x\\> \\\"q\\\" a\\\\b\\=c,O=Caf\\C3\\A9");
  EXPECT_EQ(entries_of(name.get()),
            (Entries{{"CN", "#1 + one; <x> \"q\" a\\b=c"}, {"O", "Caf\xC3\xA9"}}));
}

TEST(DistinguishedName, StoresValuesAsUtf8Strings) {
  X509NamePtr name = parse_distinguished_name("CN=J\xC3\xBCrgen M\xC3\xBCller,C=DE");
  const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name.get(), 0));
  EXPECT_EQ(ASN1_STRING_type(cn), V_ASN1_UTF8STRING);
  EXPECT_EQ(entries_of(name.get())[0].second, "J\xC3\xBCrgen M\xC3\xBCller");
  // countryName is a PrintableString by definition.
  const ASN1_STRING* c = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name.get(), 1));
  EXPECT_EQ(ASN1_STRING_type(c), V_ASN1_PRINTABLESTRING);
}

TEST(DistinguishedName, TrimsUnescapedSpacesButKeepsEscapedOnes) {
  X509NamePtr name = parse_distinguished_name("  CN = Support Team , O=\\ padded\\  ");
  EXPECT_EQ(entries_of(name.get()), (Entries{{"CN", "Support Team"}, {"O", " padded "}}));
}

TEST(DistinguishedName, SlashFormBackslashTakesNextCharacterLiterally) {
  X509NamePtr name = parse_distinguished_name("/CN=a\\/b/O=x=y+z");
  EXPECT_EQ(entries_of(name.get()), (Entries{{"CN", "a/b"}, {"O", "x=y+z"}}));
}

TEST(DistinguishedName, PlusJoinsAMultiValuedRdn) {
  X509NamePtr name = parse_distinguished_name("CN=a+UID=42,O=b");
  EXPECT_EQ(entries_of(name.get()), (Entries{{"CN", "a"}, {"UID", "42"}, {"O", "b"}}));
  EXPECT_EQ(rdn_sets(name.get()), (std::vector<int>{0, 0, 1}));
}

TEST(DistinguishedName, AttributeNamesAreCaseInsensitiveAndLongNamesWork) {
  X509NamePtr name = parse_distinguished_name(
      "cn=a,organizationName=b,dc=example,emailAddress=x@example.com,street=Main 1,st=Bavaria");
  EXPECT_EQ(entries_of(name.get()), (Entries{{"CN", "a"},
                                             {"O", "b"},
                                             {"DC", "example"},
                                             {"emailAddress", "x@example.com"},
                                             {"street", "Main 1"},
                                             {"ST", "Bavaria"}}));
}

TEST(DistinguishedName, AcceptsDottedOids) {
  X509NamePtr name = parse_distinguished_name("2.5.4.3=by oid,1.3.6.1.4.1.99999.1=custom");
  const Entries entries = entries_of(name.get());
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0], (std::pair<std::string, std::string>{"CN", "by oid"}));
  EXPECT_EQ(entries[1].second, "custom");
}

TEST(DistinguishedName, RejectsUnknownAttributes) {
  const std::string message = parse_error("CN=a,XYZ=b");
  EXPECT_TRUE(contains(message, "Unknown attribute 'XYZ' in subject")) << message;
  EXPECT_TRUE(contains(parse_error("/CN=a/XYZ=b"), "Unknown attribute 'XYZ'"));
  // Known to OpenSSL, but not a name attribute.
  EXPECT_TRUE(contains(parse_error("CN=a,sha256=b"), "Unknown attribute 'sha256'"));
  EXPECT_TRUE(contains(parse_error("1..2=b"), "Unknown attribute '1..2'"));
}

TEST(DistinguishedName, RejectsEmptyValues) {
  EXPECT_TRUE(contains(parse_error("CN=,O=b"), "Empty value for 'CN'"));
  EXPECT_TRUE(contains(parse_error("CN=a,O=   "), "Empty value for 'O'"));
  EXPECT_TRUE(contains(parse_error("/CN=a/O="), "Empty value for 'O'"));
}

TEST(DistinguishedName, RejectsMalformedStructure) {
  EXPECT_TRUE(contains(parse_error(""), "empty"));
  EXPECT_TRUE(contains(parse_error("   "), "empty"));
  EXPECT_TRUE(contains(parse_error("CN"), "has no '='"));
  EXPECT_TRUE(contains(parse_error("CN=a,O"), "has no '='"));
  EXPECT_TRUE(contains(parse_error("CN=a,,O=b"), "Empty RDN"));
  EXPECT_TRUE(contains(parse_error("CN=a,"), "Empty RDN"));
  EXPECT_TRUE(contains(parse_error("=a"), "Missing attribute name"));
  EXPECT_TRUE(contains(parse_error("/CN=a//O=b"), "Empty RDN"));
  EXPECT_TRUE(contains(parse_error("/CN"), "has no '='"));
  EXPECT_TRUE(contains(parse_error("/"), "Empty RDN"));
}

TEST(DistinguishedName, RejectsBadEscapesAndUnescapedSpecials) {
  EXPECT_TRUE(contains(parse_error("CN=a\\"), "Dangling backslash"));
  EXPECT_TRUE(contains(parse_error("CN=a\\q"), "Invalid escape"));
  EXPECT_TRUE(contains(parse_error("CN=a;b"), "must be escaped"));
  EXPECT_TRUE(contains(parse_error("CN=<a>"), "must be escaped"));
  EXPECT_TRUE(contains(parse_error("CN=#04024869"), "not supported"));
}

TEST(DistinguishedName, RejectsValuesTheAttributeCannotHold) {
  EXPECT_TRUE(contains(parse_error("CN=a,C=Germany"), "Invalid value for 'C'"));
  EXPECT_TRUE(contains(parse_error("CN=" + std::string(65, 'x')), "Invalid value for 'CN'"));
  EXPECT_TRUE(contains(parse_error("CN=bad\\FFutf8"), "Invalid value for 'CN'"));
  EXPECT_TRUE(contains(parse_error("CN=good\\00evil"), "NUL byte"));
}

TEST(DistinguishedName, SubjectDefaultsToFirstEmailAsCommonName) {
  X509NamePtr name = subject_name_for({"", {"alice@example.com", "a@example.org"}});
  EXPECT_EQ(entries_of(name.get()), (Entries{{"CN", "alice@example.com"}}));
}

TEST(DistinguishedName, SubjectUsesTheGivenSubject) {
  X509NamePtr name = subject_name_for({"/CN=Support/O=Example", {"support@example.com"}});
  EXPECT_EQ(entries_of(name.get()), (Entries{{"CN", "Support"}, {"O", "Example"}}));
}

TEST(DistinguishedName, SubjectNeedsASubjectOrAnEmail) {
  try {
    subject_name_for({"", {}});
    FAIL() << "an empty identity was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
  }
}

}  // namespace
}  // namespace smime::provisioning
