// Opening the token: selection by label or serial, clear errors for a missing module, an
// unknown token, and the PIN sources (file with safe mode, environment, credentials dir).
#include <gtest/gtest.h>
#include <stdlib.h>

#include "smime/common/error.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

class TokenOpenTest : public SoftHsmTest {
 protected:
  std::string pin() const {
    std::string p = read_file((home() / "user.pin").string());
    while (!p.empty() && p.back() == '\n') p.pop_back();
    return p;
  }
};

TEST_F(TokenOpenTest, SelectsByLabelAndBySerial) {
  auto by_label = open_token();
  EXPECT_EQ(by_label->label(), kTestTokenLabel);
  ASSERT_FALSE(by_label->serial().empty());
  pkcs11::TokenDescription d = by_label->describe();
  EXPECT_TRUE(d.initialized);
  EXPECT_TRUE(d.user_pin_initialized);
  EXPECT_EQ(d.manufacturer, "SoftHSM project");

  pkcs11::TokenConfig config = token_config();
  config.label.clear();
  config.serial = by_label->serial();
  auto by_serial = pkcs11::Token::open(config);
  EXPECT_EQ(by_serial->label(), kTestTokenLabel);
  EXPECT_EQ(by_serial->slot(), by_label->slot());
}

TEST_F(TokenOpenTest, UnknownLabelNamesTheTokensPresent) {
  pkcs11::TokenConfig config = token_config();
  config.label = "no-such-token";
  try {
    pkcs11::Token::open(config);
    FAIL() << "opened an unknown token";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::token_not_found);
    EXPECT_NE(std::string(e.what()).find("no-such-token"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(kTestTokenLabel), std::string::npos);
  }
}

TEST_F(TokenOpenTest, MissingModuleIsNamed) {
  pkcs11::TokenConfig config = token_config();
  config.module_path = "/nonexistent/libpkcs11-missing.so";
  try {
    pkcs11::Token::open(config);
    FAIL() << "loaded a missing module";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::module_load);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/libpkcs11-missing.so"), std::string::npos);
  }
}

TEST_F(TokenOpenTest, LibraryThatIsNotAPkcs11ModuleIsRefused) {
  pkcs11::TokenConfig config = token_config();
  config.module_path = "libz.so.1";
  try {
    pkcs11::Token::open(config);
    FAIL() << "accepted libz as a PKCS#11 module";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::module_load);
    EXPECT_NE(std::string(e.what()).find("C_GetFunctionList"), std::string::npos);
  }
}

TEST_F(TokenOpenTest, PinFileReadableByOthersIsRefusedByName) {
  const std::string file = scratch_.file("open.pin");
  write_file(file, pin() + "\n");
  std::filesystem::permissions(file, std::filesystem::perms(0644));
  pkcs11::TokenConfig config = token_config();
  config.pin = pkcs11::PinSource::from_file(file);
  auto token = pkcs11::Token::open(config);
  try {
    token->login();
    FAIL() << "a 0644 PIN file was used";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::pin_source);
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("0644"), std::string::npos);
  }
  EXPECT_FALSE(token->logged_in());
}

TEST_F(TokenOpenTest, PinFromEnvironmentVariable) {
  ::setenv("SMIME_TEST_USER_PIN", pin().c_str(), 1);
  pkcs11::TokenConfig config = token_config();
  config.pin = pkcs11::PinSource::parse("env:SMIME_TEST_USER_PIN");
  auto token = pkcs11::Token::open(config);
  EXPECT_NO_THROW(token->login());
  EXPECT_TRUE(token->logged_in());
  ::unsetenv("SMIME_TEST_USER_PIN");
}

TEST_F(TokenOpenTest, PinFromSystemdCredentialsDirectory) {
  std::filesystem::create_directory(scratch_.path() / "creds");
  const std::string file = (scratch_.path() / "creds" / "token-pin").string();
  write_file(file, pin());
  std::filesystem::permissions(file, std::filesystem::perms(0400));
  ::setenv("CREDENTIALS_DIRECTORY", (scratch_.path() / "creds").c_str(), 1);
  pkcs11::TokenConfig config = token_config();
  config.pin = pkcs11::PinSource::parse("credential:token-pin");
  auto token = pkcs11::Token::open(config);
  EXPECT_NO_THROW(token->login());
  ::unsetenv("CREDENTIALS_DIRECTORY");
}

TEST_F(TokenOpenTest, SessionsArePooledAndReused) {
  auto token = open_token();
  CK_SESSION_HANDLE first;
  {
    pkcs11::Session s = token->session();
    first = s.handle();
  }
  pkcs11::Session again = token->session();
  EXPECT_EQ(again.handle(), first) << "an idle session is reused, not reopened";
  pkcs11::Session other = token->session();
  EXPECT_NE(other.handle(), again.handle()) << "a busy session is never lent twice";
}

}  // namespace
}  // namespace smime::test
