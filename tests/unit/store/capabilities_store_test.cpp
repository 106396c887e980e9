// Capabilities announced in verified signed mail (issue 17 item 5) on each backend: one row
// per stored certificate, replaced only by an announcement at least as new that differs,
// nothing for a certificate that is not stored, gone with its certificate.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smime/store/store.hpp"
#include "support/store_backends.hpp"
#include "unit/store/fake_records.hpp"

namespace smime::store {
namespace {

using testing::fake_certificate;

class CapabilitiesStoreTest : public ::testing::TestWithParam<test::Backend> {
 protected:
  static CapabilitiesRecord announcement(const std::string& sha256,
                                         std::vector<std::string> capabilities,
                                         std::int64_t signing_time, std::string message_id = "") {
    return {sha256, std::move(capabilities), signing_time, std::move(message_id), 0};
  }

  test::BackendDatabase db_{GetParam()};
  Store* store_ = &db_.store();
};

INSTANTIATE_TEST_SUITE_P(Backends, CapabilitiesStoreTest, test::kAllBackends,
                         test::backend_test_name);

TEST_P(CapabilitiesStoreTest, NewerOrEqualAndDifferentReplacesOlderOrSameDoesNot) {
  const CertificateRecord bob = store_->insert_certificate(fake_certificate("bob"));
  EXPECT_EQ(store_->capabilities(bob.sha256), std::nullopt);

  EXPECT_TRUE(store_->record_capabilities(
      announcement(bob.sha256, {"aes256-gcm", "aes256-cbc", "rsaes-oaep"}, 2000, "m1@b")));
  auto recorded = store_->capabilities(bob.sha256);
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->sha256, bob.sha256);
  EXPECT_EQ(recorded->capabilities,
            (std::vector<std::string>{"aes256-gcm", "aes256-cbc", "rsaes-oaep"}));
  EXPECT_EQ(recorded->signing_time, 2000);
  EXPECT_EQ(recorded->message_id, "m1@b");
  EXPECT_GT(recorded->recorded_at, 0);

  // The same list again, even newer: nothing written.
  EXPECT_FALSE(
      store_->record_capabilities(announcement(bob.sha256, recorded->capabilities, 3000, "m2@b")));
  EXPECT_EQ(store_->capabilities(bob.sha256)->message_id, "m1@b");
  // An older announcement (a replayed message) does not replace a newer one.
  EXPECT_FALSE(store_->record_capabilities(announcement(bob.sha256, {"aes256-cbc"}, 1999)));
  EXPECT_EQ(store_->capabilities(bob.sha256)->signing_time, 2000);
  // Equal or newer and different: replaced.
  EXPECT_TRUE(store_->record_capabilities(announcement(bob.sha256, {"aes128-cbc"}, 2000, "m3@b")));
  recorded = store_->capabilities(bob.sha256);
  EXPECT_EQ(recorded->capabilities, std::vector<std::string>{"aes128-cbc"});
  EXPECT_EQ(recorded->message_id, "m3@b");
  // Another process sees it (a fingerprint in upper case finds it too).
  auto other = db_.open_other_store();
  std::string upper = bob.sha256;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(other->capabilities(upper)->capabilities, std::vector<std::string>{"aes128-cbc"});
}

TEST_P(CapabilitiesStoreTest, NothingForACertificateThatIsNotStoredAndGoneWithItsCertificate) {
  const std::string carol = testing::sha256_hex("carol");
  EXPECT_FALSE(store_->record_capabilities(announcement(carol, {"aes256-gcm"}, 1)));
  EXPECT_EQ(store_->capabilities(carol), std::nullopt);

  const CertificateRecord stored = store_->insert_certificate(fake_certificate("carol"));
  EXPECT_TRUE(store_->record_capabilities(announcement(stored.sha256, {"aes256-gcm"}, 0)));
  ASSERT_TRUE(store_->delete_certificate(stored.sha256));
  EXPECT_EQ(store_->capabilities(stored.sha256), std::nullopt);
  EXPECT_EQ(db_.raw_query("SELECT count(*) FROM certificate_capabilities"), "0");
  // Stored again: nothing announced yet.
  store_->insert_certificate(fake_certificate("carol"));
  EXPECT_EQ(store_->capabilities(stored.sha256), std::nullopt);
}

TEST_P(CapabilitiesStoreTest, ARolledBackTransactionRecordsNothing) {
  const CertificateRecord dave = store_->insert_certificate(fake_certificate("dave"));
  struct Abort {};
  EXPECT_THROW(store_->in_transaction([&] {
    EXPECT_TRUE(store_->record_capabilities(announcement(dave.sha256, {"aes256-gcm"}, 5)));
    throw Abort{};
  }),
               Abort);
  EXPECT_EQ(store_->capabilities(dave.sha256), std::nullopt);
}

}  // namespace
}  // namespace smime::store
