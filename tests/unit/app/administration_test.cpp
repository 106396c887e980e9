// Groups and API tokens through the use cases: each change is audited with its caller, a
// refused change is audited as failed and leaves nothing behind, and a change whose audit
// entry cannot be written is not made (the entry commits in the change's transaction).
#include <gtest/gtest.h>

#include "app_fixture.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"

namespace smime::test {
namespace {

using store::DefaultBehaviour;

class AdministrationTest : public AppTest {
 protected:
  app::GroupSet set_group(const std::string& name, const std::string& email,
                          DefaultBehaviour behaviour = DefaultBehaviour::sign_encrypt) {
    return app_->groups.set(caller_, {name, email, behaviour});
  }
};

ErrorCode code_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::internal;
}

TEST_F(AdministrationTest, GroupSetIsAuditedWithItsCallerAndTellsCreatedFromChanged) {
  const app::GroupSet created = set_group("support", "support@example.org");
  EXPECT_TRUE(created.created);
  EXPECT_EQ(created.group.email, "support@example.org");
  EXPECT_GT(created.group.created_at, 0);

  const app::GroupSet changed = set_group("support", "help@example.org", DefaultBehaviour::sign);
  EXPECT_FALSE(changed.created);
  EXPECT_EQ(app_->groups.show("support").email, "help@example.org");
  EXPECT_EQ(app_->groups.show("support").behaviour, DefaultBehaviour::sign);

  const auto logged = entries();
  ASSERT_EQ(logged.size(), 2u);
  const audit::AuditEvent& newest = logged[0].event;
  EXPECT_EQ(newest.actor, "7");
  EXPECT_EQ(newest.direction, audit::Direction::admin);
  EXPECT_EQ(newest.operation, audit::operation::group_set);
  EXPECT_EQ(newest.status, audit::Status::ok);
  EXPECT_EQ(newest.addresses, std::vector<std::string>{"help@example.org"});
  EXPECT_NE(newest.detail.find("group support"), std::string::npos) << newest.detail;
}

// A group's verification policy: set, kept by a change that does not name it, back to the
// appliance's when asked, and each change audited with what it was before.
TEST_F(AdministrationTest, GroupPolicyIsSetKeptResetAndAudited) {
  app::GroupChange change{"support", "support@example.org", DefaultBehaviour::sign};
  const app::GroupSet created = app_->groups.set(caller_, change);
  EXPECT_EQ(created.group.revocation_hard, std::nullopt);
  EXPECT_EQ(created.group.reject_sha1, std::nullopt);
  EXPECT_NE(newest_entry().event.detail.find("revocation the appliance's"), std::string::npos)
      << newest_entry().event.detail;

  change.revocation_hard.emplace(true);
  change.reject_sha1.emplace(true);
  const app::GroupSet strict = app_->groups.set(caller_, change);
  EXPECT_EQ(strict.group.revocation_hard, std::optional<bool>(true));
  EXPECT_EQ(strict.group.reject_sha1, std::optional<bool>(true));
  const std::string detail = newest_entry().event.detail;
  EXPECT_NE(detail.find("revocation hard (was the appliance's)"), std::string::npos) << detail;
  EXPECT_NE(detail.find("SHA-1 rejected (was the appliance's)"), std::string::npos) << detail;

  // A change that does not name the policy (an older client) leaves it as it is.
  const app::GroupSet renamed =
      app_->groups.set(caller_, {"support", "help@example.org", DefaultBehaviour::sign});
  EXPECT_EQ(renamed.group.email, "help@example.org");
  EXPECT_EQ(renamed.group.revocation_hard, std::optional<bool>(true));
  EXPECT_EQ(app_->groups.show("support").reject_sha1, std::optional<bool>(true));

  app::GroupChange reset{"support", "help@example.org", DefaultBehaviour::sign};
  reset.revocation_hard.emplace();  // the appliance's again
  reset.reject_sha1.emplace(false);
  const app::GroupSet back = app_->groups.set(caller_, reset);
  EXPECT_EQ(back.group.revocation_hard, std::nullopt);
  EXPECT_EQ(back.group.reject_sha1, std::optional<bool>(false));
  EXPECT_NE(newest_entry().event.detail.find("revocation the appliance's (was hard)"),
            std::string::npos)
      << newest_entry().event.detail;
  EXPECT_EQ(entries().size(), 4u);
}

TEST_F(AdministrationTest, RefusedGroupIsAuditedAsFailedAndNotStored) {
  EXPECT_EQ(code_of([&] { set_group("bad\nname", "support@example.org"); }),
            ErrorCode::invalid_input);
  EXPECT_EQ(code_of([&] { set_group("sales", "not an address"); }), ErrorCode::invalid_input);
  EXPECT_TRUE(app_->groups.list().empty());

  const auto logged = entries();
  ASSERT_EQ(logged.size(), 2u);
  for (const auto& entry : logged) {
    EXPECT_EQ(entry.event.operation, audit::operation::group_set);
    EXPECT_EQ(entry.event.status, audit::Status::failed);
    EXPECT_EQ(entry.event.actor, "7");
  }
  // The entry keeps what was asked for and adds the reason.
  EXPECT_NE(logged[0].event.detail.find("group sales"), std::string::npos);
  EXPECT_GT(logged[0].event.detail.size(), std::string("group sales, default sign-encrypt").size())
      << logged[0].event.detail;
}

TEST_F(AdministrationTest, DeletingAMissingGroupIsNotFoundAndAuditedAsFailed) {
  EXPECT_EQ(code_of([&] { app_->groups.remove(caller_, "nobody"); }), ErrorCode::not_found);
  const audit::AuditEntry newest = newest_entry();
  EXPECT_EQ(newest.event.operation, audit::operation::group_delete);
  EXPECT_EQ(newest.event.status, audit::Status::failed);
  EXPECT_NE(newest.event.detail.find("No group named nobody"), std::string::npos)
      << newest.event.detail;
}

TEST_F(AdministrationTest, ChangesWhoseEntryCannotBeWrittenAreNotMade) {
  set_group("support", "support@example.org");
  const auto token = app_->api_tokens.create(caller_, "ops", store::ApiRole::operator_);
  refuse_audit_entries();

  EXPECT_THROW(set_group("sales", "sales@example.org"), Error);
  EXPECT_THROW(set_group("support", "changed@example.org"), Error);
  EXPECT_THROW(app_->groups.remove(caller_, "support"), Error);
  EXPECT_THROW(app_->api_tokens.create(caller_, "second", store::ApiRole::admin), Error);
  EXPECT_THROW(app_->api_tokens.revoke(caller_, token.token.id), Error);

  // Every change was rolled back with its entry.
  const auto groups = app_->groups.list();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].email, "support@example.org");
  const auto tokens = app_->api_tokens.list();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].name, "ops");
  EXPECT_FALSE(tokens[0].revoked_at.has_value());
  EXPECT_EQ(entries().size(), 2u) << "only the two changes made before";
}

TEST_F(AdministrationTest, ApiTokenSecretIsReturnedOnceAndRevocationIsAudited) {
  const auto created = app_->api_tokens.create(caller_, "helpdesk", store::ApiRole::operator_);
  EXPECT_EQ(created.secret.view().rfind("smk_", 0), 0u);
  EXPECT_EQ(created.token.role, store::ApiRole::operator_);
  audit::AuditEntry entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::apitoken_create);
  EXPECT_NE(entry.event.detail.find("token " + std::to_string(created.token.id)), std::string::npos)
      << entry.event.detail;
  EXPECT_EQ(entry.event.detail.find(created.secret.view()), std::string::npos)
      << "the secret is never in the log";

  app_->api_tokens.revoke(caller_, created.token.id);
  EXPECT_TRUE(app_->api_tokens.list().at(0).revoked_at.has_value());
  EXPECT_EQ(newest_entry().event.operation, audit::operation::apitoken_revoke);

  EXPECT_EQ(code_of([&] { app_->api_tokens.revoke(caller_, created.token.id + 100); }),
            ErrorCode::not_found);
  entry = newest_entry();
  EXPECT_EQ(entry.event.operation, audit::operation::apitoken_revoke);
  EXPECT_EQ(entry.event.status, audit::Status::failed);
}

}  // namespace
}  // namespace smime::test
