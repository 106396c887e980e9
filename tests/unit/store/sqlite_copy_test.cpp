// store::copy_sqlite_to_postgres on a real SQLite appliance file and a real PostgreSQL server:
// every row arrives verbatim (ids, hashes, times, DER, API token hashes, the audit chain and
// its head), the target works on afterwards (fresh ids, revision, appends to the chain), and
// a non-empty target or an unsuitable source is refused without changing anything.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "smime/audit/audit_log.hpp"
#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/postgres/connection.hpp"
#include "smime/postgres/database.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/sqlite/database.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/postgres_store.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/postgres_server.hpp"
#include "support/softhsm_fixture.hpp"
#include "unit/store/fake_records.hpp"

namespace smime::store {
namespace {

using testing::fake_certificate;

constexpr int kAuditEntries = 300;

// Every field, so that a difference shows which one.
std::string describe(const CertificateRecord& c) {
  std::string emails;
  for (const auto& e : c.emails) emails += e + ";";
  std::string usages;
  for (const auto& u : c.key_usages) usages += u + ";";
  for (const auto& u : c.extended_key_usages) usages += u + ";";
  return std::to_string(c.id) + "|" + c.sha256 + "|" + c.sha1 + "|" + to_hex(c.der) + "|" +
         c.subject + "|" + c.issuer + "|" + c.serial + "|" + c.subject_key_id + "|" +
         c.authority_key_id + "|" + emails + "|" + std::to_string(c.not_before) + "|" +
         std::to_string(c.not_after) + "|" + c.key_algorithm + "|" + std::to_string(c.key_bits) +
         "|" + c.curve + "|" + usages + "|" + std::to_string(c.can_sign) +
         std::to_string(c.can_encrypt) + std::to_string(c.is_ca) + "|" +
         c.token_key_id.value_or("(none)") + "|" + std::to_string(c.key_exportable) + "|" +
         std::to_string(c.created_at) + "|" + std::to_string(c.updated_at) + "|legacy:" + [&] {
           std::string rules;
           for (const auto& r : c.legacy_rules) rules += r + ";";
           return rules;
         }();
}

std::vector<std::string> describe_all(Store& store) {
  std::vector<std::string> out;
  for (const auto& c : store.find_certificates({})) out.push_back(describe(c));
  return out;
}

std::string describe(const ApiToken& t) {
  return std::to_string(t.id) + "|" + t.name + "|" + std::string(to_string(t.role)) + "|" +
         std::to_string(t.created_at) + "|" +
         (t.last_used_at ? std::to_string(*t.last_used_at) : "-") + "|" +
         (t.revoked_at ? std::to_string(*t.revoked_at) : "-");
}

std::string describe(const CrlRecord& c) {
  return std::to_string(c.id) + "|" + c.issuer + "|" + c.issuer_sha256 + "|" + to_hex(c.der) + "|" +
         std::to_string(c.this_update) + "|" + std::to_string(c.next_update) + "|" + c.crl_number +
         "|" + std::to_string(c.imported_at);
}

std::string pg_scalar(const std::string& url, const std::string& sql) {
  postgres::Connection connection = postgres::Connection::open(url);
  return connection.execute(sql).text(0, 0);
}

class SqliteCopyTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "smime.db";
  std::string url_ = test::fresh_database_url();

  // The SQLite appliance: what every table can hold. Returns the secrets of a live and a
  // revoked API token.
  std::pair<std::string, std::string> populate() {
    auto database = open_sqlite_database(file_);
    auto store = open_sqlite_store(database);
    auto tokens = open_sqlite_api_token_store(database);
    store->insert_certificate(fake_certificate("alice", 1'700'000'000));
    CertificateRecord bob = fake_certificate("bob", 1'700'000'100);
    bob.emails = {"bob@example.com", "b.smith@example.com", "abc@example.com"};
    bob.legacy_rules = {"subject_alt_name_email", "key_usage"};  // issue 17: copied too
    store->insert_certificate(bob);
    CertificateRecord ca = fake_certificate("Example CA", 1'600'000'000);
    ca.is_ca = true;
    ca.emails.clear();
    ca.der = {0x30, 0x82, 0x00, 0x00, 0xff, 0x00, 0x7f};  // bytes, not text: NUL included
    store->insert_certificate(ca);
    store->set_certificate_key(bob.sha256, "0a1b2c3d", true);
    store->delete_certificate(fake_certificate("alice").sha256);  // a gap in the ids
    store->insert_certificate(fake_certificate("carol", 1'700'000'200));
    store->upsert_group({.name = "support", .email = "support@example.com"});
    store->upsert_group({.name = "sales",
                         .email = "sales@example.com",
                         .behaviour = DefaultBehaviour::sign,
                         .revocation_hard = true,
                         .reject_sha1 = false});
    CrlRecord crl;
    crl.issuer = "CN=Example CA,O=Example";
    crl.issuer_sha256 = ca.sha256;
    crl.der = {0x30, 0x00, 0x01};
    crl.this_update = 1'700'000'000;
    crl.next_update = 1'800'000'000;
    crl.crl_number = "7";
    store->insert_crl(crl, {{"0a0b", 1'690'000'000, "keyCompromise"}, {"0c0d", 1'690'000'001, ""}});
    store->reserve_key("feedface", "tls");
    EXPECT_TRUE(store->record_capabilities(  // issue 17 item 5: copied too
        {bob.sha256, {"aes256-gcm", "rsaes-oaep"}, 1'700'000'500, "b1@example.com", 0}));
    const CreatedApiToken live = tokens->create("helpdesk", ApiRole::operator_);
    EXPECT_TRUE(tokens->authenticate(live.secret.view()).has_value());  // last_used_at set
    const CreatedApiToken revoked = tokens->create("old", ApiRole::admin);
    EXPECT_TRUE(tokens->revoke(revoked.token.id));
    audit::AuditLog log(database);
    for (int i = 1; i <= kAuditEntries; ++i) {
      audit::AuditEvent event;
      event.actor = i % 3 == 0 ? "1" : "smimectl";
      event.direction = i % 2 == 0 ? audit::Direction::outgoing : audit::Direction::admin;
      event.operation = i % 2 == 0 ? "message.sign" : "group.set";
      event.status = i % 7 == 0 ? audit::Status::failed : audit::Status::ok;
      event.addresses = {"user" + std::to_string(i) + "@example.com"};
      event.detail = "entry " + std::to_string(i);
      log.record(event);
    }
    return {std::string(live.secret.view()), std::string(revoked.secret.view())};
  }
};

TEST_F(SqliteCopyTest, EveryRowArrivesVerbatimAndTheTargetWorksOn) {
  const auto [live_secret, revoked_secret] = populate();
  auto sqlite_db = open_sqlite_database(file_);
  auto sqlite_store = open_sqlite_store(sqlite_db);
  auto sqlite_tokens = open_sqlite_api_token_store(sqlite_db);
  const audit::VerifyReport source_chain = audit::AuditLog(sqlite_db).verify();
  ASSERT_TRUE(source_chain.intact);

  const CopyReport report = copy_sqlite_to_postgres(file_, url_);
  EXPECT_EQ(report.source_schema_version, latest_schema_version());
  EXPECT_EQ(report.target_schema_version, latest_postgres_schema_version());
  EXPECT_EQ(report.audit_head.last_id, kAuditEntries);
  EXPECT_EQ(report.audit_head.hash, source_chain.head_hash);
  std::map<std::string, std::int64_t> rows;
  for (const auto& table : report.tables) rows[table.table] = table.rows;
  EXPECT_EQ(rows["certificates"], 3);
  EXPECT_EQ(rows["certificate_emails"], 4);  // bob 3, carol 1
  EXPECT_EQ(rows["groups"], 2);
  EXPECT_EQ(rows["crls"], 1);
  EXPECT_EQ(rows["revoked_certificates"], 2);
  EXPECT_EQ(rows["api_tokens"], 2);
  EXPECT_EQ(rows["reserved_keys"], 1);
  EXPECT_EQ(rows["audit_log"], kAuditEntries);
  EXPECT_EQ(rows["audit_counts"], 4);
  EXPECT_EQ(rows["certificate_capabilities"], 1);

  auto pg_db = open_postgres_database(url_, 2);
  auto pg_store = open_postgres_store(pg_db);
  auto pg_tokens = open_postgres_api_token_store(pg_db);
  EXPECT_EQ(describe_all(*pg_store), describe_all(*sqlite_store));
  CertificateQuery bob_query;
  bob_query.email = "bob@example.com";
  const auto bob = pg_store->find_certificates(bob_query);
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(bob[0].legacy_rules, (std::vector<std::string>{"subject_alt_name_email", "key_usage"}));
  CertificateQuery with_key;
  with_key.has_key = true;
  ASSERT_EQ(pg_store->find_certificates(with_key).size(), 1u);
  EXPECT_EQ(pg_store->find_certificates(with_key)[0].token_key_id, "0a1b2c3d");
  EXPECT_EQ(pg_store->list_groups().size(), 2u);
  EXPECT_EQ(pg_store->group("sales")->behaviour, DefaultBehaviour::sign);
  EXPECT_EQ(pg_store->group("sales")->revocation_hard, std::optional<bool>(true));
  EXPECT_EQ(pg_store->group("sales")->reject_sha1, std::optional<bool>(false));
  EXPECT_EQ(pg_store->group("support")->revocation_hard, std::nullopt);
  EXPECT_EQ(pg_store->group("support")->reject_sha1, std::nullopt);
  EXPECT_EQ(pg_store->group("sales")->created_at, sqlite_store->group("sales")->created_at);
  ASSERT_EQ(pg_store->list_crls().size(), 1u);
  EXPECT_EQ(describe(pg_store->list_crls()[0]), describe(sqlite_store->list_crls()[0]));
  const auto revoked = pg_store->revocation("CN=Example CA,O=Example", "0A0B");
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(revoked->reason, "keyCompromise");
  EXPECT_EQ(revoked->revoked_at, 1'690'000'000);
  EXPECT_EQ(pg_store->reserved_keys(), sqlite_store->reserved_keys());
  const auto capabilities = pg_store->capabilities(bob[0].sha256);
  ASSERT_TRUE(capabilities.has_value());
  EXPECT_EQ(capabilities->capabilities, (std::vector<std::string>{"aes256-gcm", "rsaes-oaep"}));
  EXPECT_EQ(capabilities->signing_time, 1'700'000'500);
  EXPECT_EQ(capabilities->recorded_at, sqlite_store->capabilities(bob[0].sha256)->recorded_at);

  // API tokens: the same rows; a secret made before the copy still works, a revoked one not.
  std::vector<std::string> pg_token_rows, sqlite_token_rows;
  for (const auto& t : pg_tokens->list()) pg_token_rows.push_back(describe(t));
  for (const auto& t : sqlite_tokens->list()) sqlite_token_rows.push_back(describe(t));
  EXPECT_EQ(pg_token_rows, sqlite_token_rows);
  const auto authenticated = pg_tokens->authenticate(live_secret);
  ASSERT_TRUE(authenticated.has_value());
  EXPECT_EQ(authenticated->name, "helpdesk");
  EXPECT_EQ(authenticated->role, ApiRole::operator_);
  EXPECT_EQ(pg_tokens->authenticate(revoked_secret), std::nullopt);

  // The chain: intact with the source's head; counts copied; appends continue it.
  audit::AuditLog pg_log(pg_db);
  const audit::VerifyReport copied_chain = pg_log.verify();
  EXPECT_TRUE(copied_chain.intact) << copied_chain.reason;
  EXPECT_EQ(copied_chain.entries, kAuditEntries);
  EXPECT_EQ(copied_chain.last_id, source_chain.last_id);
  EXPECT_EQ(copied_chain.head_hash, source_chain.head_hash);
  audit::AuditQuery signed_messages;
  signed_messages.operation = "message.sign";
  EXPECT_EQ(pg_log.known_count(signed_messages), kAuditEntries / 2);
  audit::AuditQuery failed;
  failed.status = audit::Status::failed;
  EXPECT_EQ(pg_log.known_count(failed), audit::AuditLog(sqlite_db).known_count(failed));
  audit::AuditEvent next;
  next.actor = "smimectl";
  next.operation = "group.set";
  pg_log.record(next);
  const audit::VerifyReport extended = pg_log.verify();
  EXPECT_TRUE(extended.intact) << extended.reason;
  EXPECT_EQ(extended.last_id, kAuditEntries + 1);

  // New rows get ids after the copied ones; the revision moved past both sides and moves on.
  const std::int64_t max_id = sqlite_store->find_certificates({})[0].id;
  EXPECT_GT(report.revision, sqlite_store->revision());
  EXPECT_EQ(pg_store->revision(), report.revision);
  const CertificateRecord dave = pg_store->insert_certificate(fake_certificate("dave"));
  EXPECT_GT(dave.id, 4) << "ids 1..4 were used in SQLite (max " << max_id << ")";
  EXPECT_GT(pg_store->revision(), report.revision);
  EXPECT_GT(pg_tokens->create("new", ApiRole::auditor).token.id, 2);
  CrlRecord newer = pg_store->list_crls()[0];
  newer.this_update += 10;
  EXPECT_GT(pg_store->insert_crl(newer, {}).id, 1);
}

TEST_F(SqliteCopyTest, ANonEmptyTargetIsRefusedAndUnchanged) {
  populate();
  {
    auto pg_db = open_postgres_database(url_, 1);
    open_postgres_store(pg_db)->upsert_group({.name = "other", .email = "other@example.com"});
  }
  const std::string revision = pg_scalar(url_, "SELECT revision FROM store_revision");
  try {
    copy_sqlite_to_postgres(file_, url_);
    FAIL() << "a non-empty target was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
    EXPECT_NE(std::string(e.what()).find("is not empty"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1 group"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pg_scalar(url_, "SELECT count(*) FROM groups"), "1");
  EXPECT_EQ(pg_scalar(url_, "SELECT count(*) FROM certificates"), "0");
  EXPECT_EQ(pg_scalar(url_, "SELECT count(*) FROM api_tokens"), "0");
  EXPECT_EQ(pg_scalar(url_, "SELECT count(*) FROM audit_log"), "0");
  EXPECT_EQ(pg_scalar(url_, "SELECT count(*) FROM reserved_keys"), "0");
  EXPECT_EQ(pg_scalar(url_, "SELECT last_id FROM audit_head"), "0");
  EXPECT_EQ(pg_scalar(url_, "SELECT revision FROM store_revision"), revision);

  // A copy cannot be repeated into its own result either.
  const std::string second = test::fresh_database_url();
  copy_sqlite_to_postgres(file_, second);
  try {
    copy_sqlite_to_postgres(file_, second);
    FAIL() << "a second copy was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
    EXPECT_NE(std::string(e.what()).find("300 audit entries"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pg_scalar(second, "SELECT count(*) FROM audit_log"), std::to_string(kAuditEntries));
}

TEST_F(SqliteCopyTest, AMissingOrOlderOrNewerSourceIsRefusedBeforeTheTargetIsTouched) {
  const auto untouched = [&] {
    return pg_scalar(url_, "SELECT to_regclass('schema_version') IS NULL") == "t";
  };
  try {
    copy_sqlite_to_postgres(dir_.path() / "missing.db", url_);
    FAIL() << "a missing source was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_NE(std::string(e.what()).find("missing.db"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "missing.db"));
  EXPECT_TRUE(untouched());

  populate();
  const auto set_version = [&](const std::string& sql) {
    sqlite::Connection raw = sqlite::Connection::open_plain(file_);
    raw.exec(sql);
  };
  // An SQLite file a previous build left one schema version behind.
  const int latest = latest_schema_version();
  const std::string previous = std::to_string(latest - 1);
  set_version("DELETE FROM schema_migrations WHERE version = " + std::to_string(latest));
  try {
    copy_sqlite_to_postgres(file_, url_);
    FAIL() << "an old source was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("schema version " + previous), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("open it once with this version"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(untouched());
  set_version("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
              std::to_string(latest) + ", 0), (99, 0)");
  try {
    copy_sqlite_to_postgres(file_, url_);
    FAIL() << "a newer source was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("newer than this build"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(untouched());
}

}  // namespace
}  // namespace smime::store
