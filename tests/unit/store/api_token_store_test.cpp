// API tokens: random 256-bit secrets with the smk_ prefix, stored only as SHA-256, roles,
// revocation, and authentication that refuses anything but a live token's exact secret.
#include "smime/store/api_token_store.hpp"

#include <gtest/gtest.h>

#include <set>

#include "fake_records.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/store_backends.hpp"

namespace smime::test {
namespace {

using store::ApiRole;

class ApiTokenStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  BackendDatabase db_{GetParam()};
  store::ApiTokenStore* tokens_ = &db_.tokens();
};

INSTANTIATE_TEST_SUITE_P(Backends, ApiTokenStoreTest, kAllBackends, backend_test_name);

TEST_P(ApiTokenStoreTest, SecretsAreRandomPrefixedAndShownOnce) {
  std::set<std::string> secrets;
  for (int i = 0; i < 5; ++i) {
    auto created = tokens_->create("t" + std::to_string(i), ApiRole::auditor);
    const std::string secret(created.secret.view());
    EXPECT_EQ(secret.size(), 4u + 64u);
    EXPECT_EQ(secret.substr(0, 4), "smk_");
    EXPECT_TRUE(secrets.insert(secret).second);
  }
  // Only the hash is stored.
  for (const auto& s : secrets) {
    const std::string hash = store::api_token_hash(s);
    EXPECT_EQ(db_.raw_query("SELECT count(*) FROM api_tokens WHERE secret_sha256 = '" + hash + "'"),
              "1");
    EXPECT_EQ(db_.raw_query("SELECT count(*) FROM api_tokens WHERE name LIKE '%" + s.substr(4) +
                            "%' OR secret_sha256 LIKE '%" + s.substr(4) + "%'"),
              "0");
  }
  if (GetParam() != Backend::sqlite) return;
  // Nowhere in the database file.
  const std::string file = read_file(db_.file().string()) + read_file(db_.file().string() + "-wal");
  for (const auto& s : secrets) {
    EXPECT_EQ(file.find(s.substr(4)), std::string::npos);
    EXPECT_NE(file.find(store::api_token_hash(s)), std::string::npos);
  }
}

TEST_P(ApiTokenStoreTest, AuthenticateFindsTheLiveTokenOnly) {
  auto admin = tokens_->create("admin", ApiRole::admin);
  auto op = tokens_->create("helpdesk", ApiRole::operator_);
  auto found = tokens_->authenticate(op.secret.view());
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, op.token.id);
  EXPECT_EQ(found->role, ApiRole::operator_);
  EXPECT_EQ(found->name, "helpdesk");

  std::string wrong(admin.secret.view());
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_FALSE(tokens_->authenticate(wrong));
  EXPECT_FALSE(tokens_->authenticate(""));
  EXPECT_FALSE(tokens_->authenticate("smk_short"));
  EXPECT_FALSE(tokens_->authenticate(std::string(admin.secret.view()).substr(4)));

  EXPECT_TRUE(tokens_->revoke(admin.token.id));
  EXPECT_TRUE(tokens_->revoke(admin.token.id)) << "revoking twice is harmless";
  EXPECT_FALSE(tokens_->authenticate(admin.secret.view()));
  EXPECT_FALSE(tokens_->revoke(12345));

  auto list = tokens_->list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_TRUE(list[0].revoked_at.has_value());
  EXPECT_FALSE(list[1].revoked_at.has_value());
  EXPECT_TRUE(list[1].last_used_at.has_value()) << "use is recorded";
}

TEST_P(ApiTokenStoreTest, NamesAreChecked) {
  EXPECT_THROW(tokens_->create("", ApiRole::admin), Error);
  EXPECT_THROW(tokens_->create(std::string(101, 'x'), ApiRole::admin), Error);
  EXPECT_THROW(tokens_->create("bad\nname", ApiRole::admin), Error);
}

TEST_P(ApiTokenStoreTest, RolesRoundTrip) {
  for (ApiRole role : {ApiRole::admin, ApiRole::operator_, ApiRole::auditor}) {
    EXPECT_EQ(store::parse_api_role(store::to_string(role)), role);
  }
  EXPECT_FALSE(store::parse_api_role("root"));
}

TEST_P(ApiTokenStoreTest, SharesTheStoreDatabase) {
  auto s = db_.open_other_store();
  auto created = tokens_->create("x", ApiRole::admin);
  auto other = db_.open_other_tokens();
  EXPECT_TRUE(other->authenticate(created.secret.view()));
  // A revocation through one is refused by the other (another node) at once.
  EXPECT_TRUE(other->revoke(created.token.id));
  EXPECT_FALSE(tokens_->authenticate(created.secret.view()));
}

// The revision the admitted request's use case starts from (store::RevisionSeed), read with
// the token: the current one, also after another node changed the store.
TEST_P(ApiTokenStoreTest, AuthenticateReadsTheStoreRevisionWithTheToken) {
  auto created = tokens_->create("helpdesk", ApiRole::operator_);
  auto first = tokens_->authenticate(created.secret.view());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->store_revision, db_.store().revision());
  db_.open_other_store()->insert_certificate(
      store::testing::fake_certificate("another node's import"));
  auto second = tokens_->authenticate(created.secret.view());
  ASSERT_TRUE(second && second->store_revision && first->store_revision);
  EXPECT_GT(*second->store_revision, *first->store_revision);
  EXPECT_EQ(second->store_revision, db_.store().revision());
  EXPECT_FALSE(tokens_->get(created.token.id)->store_revision) << "only authenticate() reads it";
}

TEST_P(ApiTokenStoreTest, AuthenticateRecordsTheUseOncePerMinute) {
  auto created = tokens_->create("x", ApiRole::operator_);
  ASSERT_TRUE(tokens_->authenticate(created.secret.view()));
  const std::string first = db_.raw_query("SELECT last_used_at FROM api_tokens");
  EXPECT_FALSE(first.empty());
  db_.raw_exec("UPDATE api_tokens SET last_used_at = 5");
  // Within the minute: no write, the row keeps what it has.
  ASSERT_TRUE(tokens_->authenticate(created.secret.view()));
  EXPECT_EQ(db_.raw_query("SELECT last_used_at FROM api_tokens"), "5");
}

TEST_P(ApiTokenStoreTest, AdministrationJoinsTheStoreTransaction) {
  std::int64_t id = 0;
  EXPECT_THROW(db_.store().in_transaction([&] {
    id = tokens_->create("rolled-back", ApiRole::admin).token.id;
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  EXPECT_GT(id, 0);
  EXPECT_FALSE(tokens_->get(id));
  EXPECT_TRUE(tokens_->list().empty());
}

}  // namespace
}  // namespace smime::test
