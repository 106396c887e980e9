#include "smime/pkcs11/pin_source.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "smime/common/error.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::pkcs11 {
namespace {

using test::TempDir;
using test::write_file;

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}

TEST(PinSourceTest, ParsesTheThreeSources) {
  EXPECT_EQ(PinSource::parse("file:/etc/pin").kind(), PinSource::Kind::file);
  EXPECT_EQ(PinSource::parse("file:/etc/pin").location(), "/etc/pin");
  EXPECT_EQ(PinSource::parse("/etc/pin").kind(), PinSource::Kind::file);
  EXPECT_EQ(PinSource::parse("env:SMIME_PIN").kind(), PinSource::Kind::env);
  EXPECT_EQ(PinSource::parse("credential:token-pin").kind(), PinSource::Kind::credential);
  EXPECT_EQ(PinSource::parse("env:SMIME_PIN").describe(), "env:SMIME_PIN");
}

TEST(PinSourceTest, RefusesAPinGivenLiterally) {
  // A PIN is never accepted inline (it would end up in argv, configs or logs).
  EXPECT_EQ(code_of([] { PinSource::parse("1234"); }), ErrorCode::pin_source);
  EXPECT_EQ(code_of([] { PinSource::parse("pin:1234"); }), ErrorCode::pin_source);
  EXPECT_EQ(code_of([] { PinSource::parse("env:"); }), ErrorCode::pin_source);
  EXPECT_EQ(code_of([] { PinSource::parse("credential:../x"); }), ErrorCode::pin_source);
  try {
    PinSource::parse("1234");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("file:/path"), std::string::npos);
  }
}

TEST(PinSourceTest, ReadsFileAndStripsTheLineEnd) {
  TempDir dir;
  const std::string file = dir.file("pin");
  write_file(file, "12345678\r\n");
  std::filesystem::permissions(file, std::filesystem::perms(0600));
  SecretString pin = PinSource::from_file(file).read();
  EXPECT_EQ(pin.view(), "12345678");
}

TEST(PinSourceTest, RefusesGroupOrWorldAccessibleFileNamingIt) {
  TempDir dir;
  const std::string file = dir.file("pin");
  write_file(file, "12345678\n");
  for (unsigned mode : {0644u, 0640u, 0604u, 0660u}) {
    std::filesystem::permissions(file, std::filesystem::perms(mode));
    try {
      PinSource::from_file(file).read();
      FAIL() << "mode " << std::oct << mode << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::pin_source);
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos);
      EXPECT_EQ(std::string(e.what()).find("12345678"), std::string::npos);
    }
  }
}

TEST(PinSourceTest, MissingFileEmptyPinAndDirectoryAreErrors) {
  TempDir dir;
  EXPECT_EQ(code_of([&] { PinSource::from_file(dir.file("absent")).read(); }),
            ErrorCode::pin_source);
  const std::string empty = dir.file("empty");
  write_file(empty, "\n");
  std::filesystem::permissions(empty, std::filesystem::perms(0600));
  EXPECT_EQ(code_of([&] { PinSource::from_file(empty).read(); }), ErrorCode::pin_source);
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0700));
  EXPECT_EQ(code_of([&] { PinSource::from_file(dir.path().string()).read(); }),
            ErrorCode::pin_source);
}

TEST(PinSourceTest, EnvironmentVariable) {
  ::setenv("SMIME_UNIT_PIN", "424242", 1);
  EXPECT_EQ(PinSource::parse("env:SMIME_UNIT_PIN").read().view(), "424242");
  ::unsetenv("SMIME_UNIT_PIN");
  try {
    PinSource::parse("env:SMIME_UNIT_PIN").read();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::pin_source);
    EXPECT_NE(std::string(e.what()).find("SMIME_UNIT_PIN"), std::string::npos);
  }
}

TEST(PinSourceTest, SystemdCredential) {
  TempDir dir;
  write_file(dir.file("token-pin"), "987654");
  std::filesystem::permissions(dir.file("token-pin"), std::filesystem::perms(0400));
  ::setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
  EXPECT_EQ(PinSource::parse("credential:token-pin").read().view(), "987654");
  ::unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_EQ(code_of([] { PinSource::parse("credential:token-pin").read(); }),
            ErrorCode::pin_source);
}

}  // namespace
}  // namespace smime::pkcs11
