#include "smime/common/error.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include <set>
#include <string>

namespace smime {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Leaves a real OpenSSL failure in the queue: DER that is not a certificate.
void provoke_openssl_error() {
  const unsigned char garbage[] = {0x30, 0x82, 0x7f, 0xff, 0x01};
  const unsigned char* p = garbage;
  ASSERT_EQ(d2i_X509(nullptr, &p, sizeof garbage), nullptr);
  ASSERT_NE(ERR_peek_error(), 0UL);
}

TEST(CkrName, NamesKnownReturnValues) {
  EXPECT_EQ(ckr_name(CKR_OK), "CKR_OK");
  EXPECT_EQ(ckr_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
  EXPECT_EQ(ckr_name(CKR_PIN_LOCKED), "CKR_PIN_LOCKED");
  EXPECT_EQ(ckr_name(CKR_TOKEN_NOT_PRESENT), "CKR_TOKEN_NOT_PRESENT");
  EXPECT_EQ(ckr_name(CKR_CRYPTOKI_NOT_INITIALIZED), "CKR_CRYPTOKI_NOT_INITIALIZED");
}

TEST(CkrName, FallsBackToHexForUnknownValues) {
  EXPECT_EQ(ckr_name(0x12345678UL), "CKR_0x12345678");
  EXPECT_EQ(ckr_name(CKR_VENDOR_DEFINED), "CKR_0x80000000");
}

TEST(ErrorCodeNames, AreDistinctAndNonEmpty) {
  std::set<std::string_view> names;
  const int last = static_cast<int>(ErrorCode::internal);
  for (int i = 0; i <= last; ++i) {
    const std::string_view name = to_string(static_cast<ErrorCode>(i));
    EXPECT_FALSE(name.empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(last + 1));
  EXPECT_EQ(to_string(ErrorCode::bad_passphrase), "bad_passphrase");
  EXPECT_EQ(to_string(ErrorCode::pin_locked), "pin_locked");
}

TEST(Error, CarriesCodeMessageAndCkr) {
  const Error e(ErrorCode::pin_incorrect, "The token rejected the PIN", CKR_PIN_INCORRECT);
  EXPECT_EQ(e.code(), ErrorCode::pin_incorrect);
  EXPECT_STREQ(e.what(), "The token rejected the PIN");
  EXPECT_EQ(e.ckr(), CKR_PIN_INCORRECT);
  EXPECT_TRUE(e.openssl_errors().empty());
  // Caught as the standard type at the top level.
  const std::runtime_error& base = e;
  EXPECT_STREQ(base.what(), "The token rejected the PIN");
}

TEST(Error, DetailNamesTheCkr) {
  const Error e(ErrorCode::pin_locked, "PIN locked", CKR_PIN_LOCKED);
  const std::string detail = e.detail();
  EXPECT_TRUE(detail.starts_with("PIN locked")) << detail;
  EXPECT_TRUE(contains(detail, "CKR_PIN_LOCKED")) << detail;
}

TEST(Error, DetailWithoutCkrOrOpenSslIsTheMessage) {
  const Error e(ErrorCode::not_found, "No key with id 01");
  EXPECT_EQ(e.ckr(), 0UL);
  EXPECT_EQ(e.detail(), "No key with id 01");
}

TEST(Error, DetailListsOpenSslLines) {
  const Error e(ErrorCode::crypto, "Signing failed", CKR_OK, {"first reason", "second reason"});
  const std::string detail = e.detail();
  EXPECT_TRUE(contains(detail, "Signing failed"));
  EXPECT_TRUE(contains(detail, "first reason"));
  EXPECT_TRUE(contains(detail, "second reason"));
  EXPECT_FALSE(contains(detail, "CKR_OK"));
}

TEST(DrainOpensslErrors, ReturnsReadableLinesAndEmptiesTheQueue) {
  ERR_clear_error();
  ERR_raise_data(ERR_LIB_EVP, EVP_R_BAD_DECRYPT, "marker %d", 42);
  const std::vector<std::string> lines = drain_openssl_errors();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(contains(lines[0], "bad decrypt")) << lines[0];
  EXPECT_TRUE(contains(lines[0], "marker 42")) << lines[0];
  EXPECT_EQ(ERR_peek_error(), 0UL);
  EXPECT_TRUE(drain_openssl_errors().empty());
}

TEST(DrainOpensslErrors, KeepsEveryQueuedError) {
  ERR_clear_error();
  ERR_raise_data(ERR_LIB_EVP, EVP_R_BAD_DECRYPT, "one");
  ERR_raise_data(ERR_LIB_EVP, EVP_R_BAD_DECRYPT, "two");
  const std::vector<std::string> lines = drain_openssl_errors();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(contains(lines[0], "one"));
  EXPECT_TRUE(contains(lines[1], "two"));
}

TEST(ThrowOpenssl, AttachesTheQueueAndKeepsTheMessageClean) {
  ERR_clear_error();
  provoke_openssl_error();
  try {
    throw_openssl(ErrorCode::invalid_input, "Not a certificate");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_STREQ(e.what(), "Not a certificate");
    EXPECT_EQ(e.ckr(), 0UL);
    ASSERT_FALSE(e.openssl_errors().empty());
    EXPECT_TRUE(contains(e.detail(), e.openssl_errors().front()));
    EXPECT_EQ(ERR_peek_error(), 0UL);
    return;
  }
  FAIL() << "throw_openssl did not throw";
}

}  // namespace
}  // namespace smime
