// The Store interface on each backend (a fresh SQLite file or PostgreSQL database per test),
// and what only the SQLite store has (file modes, PRAGMAs, its backup file).
#include "smime/store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/common/handles.hpp"
#include "smime/common/hex.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/store/revision_scope.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/store_backends.hpp"
#include "unit/store/fake_records.hpp"

namespace smime::store {
namespace {

using testing::fake_certificate;
using testing::Query;
using testing::sha256_hex;

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

GroupRecord make_group(std::string name, std::string email = {},
                       DefaultBehaviour behaviour = DefaultBehaviour::sign_encrypt) {
  GroupRecord group;
  group.name = std::move(name);
  group.email = std::move(email);
  group.behaviour = behaviour;
  return group;
}

// Scalar queries on a second, independent connection: what another process would see.
std::string raw_query(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sqlite::SqlitePtr db(raw);
  if (rc != SQLITE_OK) {
    throw std::runtime_error("cannot open " + file.string());
  }
  sqlite3_stmt* stmt_raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt_raw, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db.get()));
  }
  sqlite::SqliteStmtPtr stmt(stmt_raw);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) {
    return {};
  }
  const auto* text = sqlite3_column_text(stmt.get(), 0);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

unsigned file_mode(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return 0;
  }
  return st.st_mode & 07777;
}

template <class F>
ErrorCode error_code_of(F&& call, std::string* message = nullptr) {
  try {
    call();
  } catch (const Error& e) {
    if (message != nullptr) {
      *message = e.what();
    }
    return e.code();
  }
  ADD_FAILURE() << "no smime::Error thrown";
  return ErrorCode::internal;
}

class StoreTest : public ::testing::TestWithParam<test::Backend> {
 protected:
  test::TempDir dir_;  // backup destinations
  test::BackendDatabase db_{GetParam()};
  Store* store_ = &db_.store();
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, test::kAllBackends, test::backend_test_name);

class SqliteStoreTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  // The parent directory does not exist yet: opening creates it.
  std::filesystem::path file_ = dir_.path() / "data" / "store.db";
  std::unique_ptr<Store> store_ = open_sqlite_store(file_);
};

TEST(DefaultBehaviourTest, NamesRoundTrip) {
  for (auto behaviour : {DefaultBehaviour::sign_encrypt, DefaultBehaviour::sign,
                         DefaultBehaviour::encrypt, DefaultBehaviour::none}) {
    EXPECT_EQ(parse_default_behaviour(to_string(behaviour)), behaviour);
  }
  EXPECT_EQ(to_string(DefaultBehaviour::sign_encrypt), "sign-encrypt");
  EXPECT_EQ(to_string(DefaultBehaviour::none), "none");
  EXPECT_EQ(parse_default_behaviour("Sign"), std::nullopt);
  EXPECT_EQ(parse_default_behaviour(""), std::nullopt);
  EXPECT_EQ(parse_default_behaviour("sign_encrypt"), std::nullopt);
}

TEST_P(StoreTest, CertificateRoundTripKeepsEveryField) {
  CertificateRecord record = fake_certificate("alice", 1'690'000'000);
  record.der = {0x30, 0x82, 0x00, 0x01, 0xff};
  record.subject_key_id = "0a1b2c";
  record.authority_key_id = "3d4e5f";
  record.emails = {"Alice@Example.COM", "alice.smith@example.org", "ALICE@example.com"};
  record.key_algorithm = "EC";
  record.key_bits = 256;
  record.curve = "P-256";
  record.key_usages = {"digitalSignature", "keyAgreement"};
  record.extended_key_usages = {"emailProtection", "clientAuth"};
  record.can_sign = true;
  record.can_encrypt = false;
  record.is_ca = true;
  record.token_key_id = "a1b2c3d4";
  record.key_exportable = true;
  const std::int64_t before = now();
  const CertificateRecord inserted = store_->insert_certificate(record);
  const std::int64_t after = now();
  EXPECT_GT(inserted.id, 0);

  const auto loaded = store_->certificate(record.sha256);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->id, inserted.id);
  EXPECT_EQ(loaded->sha256, record.sha256);
  EXPECT_EQ(loaded->sha1, record.sha1);
  EXPECT_EQ(loaded->der, record.der);
  EXPECT_EQ(loaded->subject, record.subject);
  EXPECT_EQ(loaded->issuer, record.issuer);
  EXPECT_EQ(loaded->serial, record.serial);
  EXPECT_EQ(loaded->subject_key_id, "0a1b2c");
  EXPECT_EQ(loaded->authority_key_id, "3d4e5f");
  // Lowercased; the duplicate that differs only in case is kept once, in order.
  EXPECT_EQ(loaded->emails,
            (std::vector<std::string>{"alice@example.com", "alice.smith@example.org"}));
  EXPECT_EQ(loaded->not_before, 1'690'000'000);
  EXPECT_EQ(loaded->not_after, record.not_after);
  EXPECT_EQ(loaded->key_algorithm, "EC");
  EXPECT_EQ(loaded->key_bits, 256);
  EXPECT_EQ(loaded->curve, "P-256");
  EXPECT_EQ(loaded->key_usages, record.key_usages);
  EXPECT_EQ(loaded->extended_key_usages, record.extended_key_usages);
  EXPECT_TRUE(loaded->can_sign);
  EXPECT_FALSE(loaded->can_encrypt);
  EXPECT_TRUE(loaded->is_ca);
  EXPECT_EQ(loaded->token_key_id, std::optional<std::string>("a1b2c3d4"));
  EXPECT_TRUE(loaded->key_exportable);
  EXPECT_GE(loaded->created_at, before);
  EXPECT_LE(loaded->created_at, after);
  EXPECT_EQ(loaded->updated_at, loaded->created_at);
  EXPECT_EQ(inserted.created_at, loaded->created_at);
  EXPECT_EQ(inserted.emails, loaded->emails);
}

TEST_P(StoreTest, EmptyListsAndAbsentKeyRoundTrip) {
  CertificateRecord record = fake_certificate("bare");
  record.der.clear();
  record.emails.clear();
  record.key_usages.clear();
  record.extended_key_usages.clear();
  record.can_sign = record.can_encrypt = false;
  store_->insert_certificate(record);
  const auto loaded = store_->certificate(record.sha256);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(loaded->der.empty());
  EXPECT_TRUE(loaded->emails.empty());
  EXPECT_TRUE(loaded->key_usages.empty());
  EXPECT_TRUE(loaded->extended_key_usages.empty());
  EXPECT_EQ(loaded->token_key_id, std::nullopt);
  EXPECT_FALSE(loaded->key_exportable);
  EXPECT_FALSE(loaded->is_ca);
}

TEST_P(StoreTest, DuplicateFingerprintIsConflictAndChangesNothing) {
  store_->insert_certificate(fake_certificate("alice"));
  CertificateRecord again = fake_certificate("alice");
  again.emails = {"other@example.com"};
  again.subject = "CN=Other";
  std::string message;
  EXPECT_EQ(error_code_of([&] { store_->insert_certificate(again); }, &message),
            ErrorCode::conflict);
  EXPECT_EQ(message, "Fingerprint already taken");
  // The same fingerprint in upper case is the same certificate.
  CertificateRecord upper = fake_certificate("alice");
  for (auto& c : upper.sha256) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(error_code_of([&] { store_->insert_certificate(upper); }), ErrorCode::conflict);

  EXPECT_EQ(store_->find_certificates({}).size(), 1u);
  EXPECT_TRUE(store_->find_certificates(Query().email("other@example.com")).empty());
  EXPECT_EQ(store_->certificate(again.sha256)->subject, "CN=alice,O=Example");
  EXPECT_EQ(db_.raw_query("SELECT count(*) FROM certificate_emails"), "1");
}

TEST_P(StoreTest, MalformedFingerprintIsInvalidInput) {
  CertificateRecord record = fake_certificate("x");
  record.sha256.pop_back();
  EXPECT_EQ(error_code_of([&] { store_->insert_certificate(record); }), ErrorCode::invalid_input);
  record.sha256 += "g";
  EXPECT_EQ(error_code_of([&] { store_->insert_certificate(record); }), ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of([&] { store_->delete_certificate("abc"); }), ErrorCode::invalid_input);
  EXPECT_TRUE(store_->find_certificates({}).empty());
}

TEST_P(StoreTest, LookupByFingerprintPrefix) {
  CertificateRecord first = fake_certificate("first");
  CertificateRecord second = fake_certificate("second");
  first.sha256 = "abcdef01" + std::string(55, '0') + "1";
  second.sha256 = "abcdef01" + std::string(55, '0') + "2";
  const CertificateRecord third = store_->insert_certificate(fake_certificate("third"));
  store_->insert_certificate(first);
  store_->insert_certificate(second);

  EXPECT_EQ(store_->certificate(third.sha256)->subject, "CN=third,O=Example");
  EXPECT_EQ(store_->certificate(third.sha256.substr(0, 8))->id, third.id);
  EXPECT_EQ(store_->certificate(first.sha256)->subject, "CN=first,O=Example");
  EXPECT_EQ(store_->certificate(second.sha256.substr(0, 63) + "2")->id,
            store_->certificate(second.sha256)->id);
  // openssl's notation: upper case with colons.
  EXPECT_EQ(store_
                ->certificate("AB:CD:EF:01:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
                              "00:00:00:00:00:00:00:00:00:01")
                ->subject,
            "CN=first,O=Example");

  std::string message;
  EXPECT_EQ(error_code_of([&] { store_->certificate("abcdef01"); }, &message), ErrorCode::conflict);
  EXPECT_EQ(message, "Fingerprint prefix abcdef01 matches several certificates");
  EXPECT_EQ(error_code_of([&] { store_->certificate("abcdef0"); }), ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of([&] { store_->certificate(""); }), ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of([&] { store_->certificate("abcdefgh"); }), ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of([&] { store_->certificate(first.sha256 + "0"); }),
            ErrorCode::invalid_input);
  EXPECT_EQ(store_->certificate("00000000"), std::nullopt);
  EXPECT_EQ(store_->certificate(std::string(64, 'f')), std::nullopt);
}

class StoreQueryTest : public StoreTest {
 protected:
  void SetUp() override {
    CertificateRecord ca = fake_certificate("ca", 1'500'000'000);
    ca.subject = "CN=Example Root CA,O=Example";
    ca.emails.clear();
    ca.is_ca = true;
    store_->insert_certificate(ca);
    CertificateRecord alice = fake_certificate("alice", 1'700'000'000);
    alice.emails = {"Alice@Example.com", "shared@example.com"};
    alice.token_key_id = "01";
    store_->insert_certificate(alice);
    CertificateRecord alice_old = fake_certificate("alice-2019", 1'550'000'000);
    alice_old.subject = "CN=Alice Old,O=Example";
    alice_old.emails = {"alice@example.com"};
    store_->insert_certificate(alice_old);
    CertificateRecord bob = fake_certificate("bob", 1'600'000'000);
    bob.emails = {"bob@example.com", "shared@example.com"};
    store_->insert_certificate(bob);
  }

  std::vector<std::string> subjects(const CertificateQuery& query) {
    std::vector<std::string> out;
    for (const auto& record : store_->find_certificates(query)) {
      out.push_back(record.subject);
    }
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreQueryTest, test::kAllBackends, test::backend_test_name);

TEST_P(StoreQueryTest, AllNewestNotBeforeFirst) {
  EXPECT_EQ(subjects({}),
            (std::vector<std::string>{"CN=alice,O=Example", "CN=bob,O=Example",
                                      "CN=Alice Old,O=Example", "CN=Example Root CA,O=Example"}));
}

TEST_P(StoreQueryTest, ByEmailIgnoringCase) {
  EXPECT_EQ(subjects(Query().email("ALICE@example.COM")),
            (std::vector<std::string>{"CN=alice,O=Example", "CN=Alice Old,O=Example"}));
  EXPECT_EQ(subjects(Query().email("shared@example.com")),
            (std::vector<std::string>{"CN=alice,O=Example", "CN=bob,O=Example"}));
  EXPECT_TRUE(subjects(Query().email("alice@example")).empty());  // exact address, not a substring
  EXPECT_TRUE(subjects(Query().email("nobody@example.com")).empty());
}

TEST_P(StoreQueryTest, ByFingerprintPrefix) {
  const std::string bob = sha256_hex("bob");
  EXPECT_EQ(subjects(Query().prefix(bob.substr(0, 4))),
            (std::vector<std::string>{"CN=bob,O=Example"}));
  EXPECT_EQ(subjects(Query().prefix(bob)), (std::vector<std::string>{"CN=bob,O=Example"}));
  EXPECT_EQ(error_code_of([&] { store_->find_certificates(Query().prefix("xyz")); }),
            ErrorCode::invalid_input);
}

TEST_P(StoreQueryTest, BySubjectTextIgnoringCase) {
  EXPECT_EQ(subjects(Query().subject("aLiCe")),
            (std::vector<std::string>{"CN=alice,O=Example", "CN=Alice Old,O=Example"}));
  EXPECT_EQ(subjects(Query().subject("root ca")),
            (std::vector<std::string>{"CN=Example Root CA,O=Example"}));
  // Taken literally, not as a LIKE pattern.
  EXPECT_TRUE(subjects(Query().subject("%")).empty());
}

TEST_P(StoreQueryTest, ByKeyAndCaFlags) {
  EXPECT_EQ(subjects(Query().has_key(true)), (std::vector<std::string>{"CN=alice,O=Example"}));
  EXPECT_EQ(subjects(Query().has_key(false)).size(), 3u);
  EXPECT_EQ(subjects(Query().is_ca(true)),
            (std::vector<std::string>{"CN=Example Root CA,O=Example"}));
  EXPECT_EQ(subjects(Query().is_ca(false)).size(), 3u);
}

TEST_P(StoreQueryTest, FiltersCombineWithAnd) {
  EXPECT_EQ(subjects(Query().email("shared@example.com").has_key(false)),
            (std::vector<std::string>{"CN=bob,O=Example"}));
  EXPECT_EQ(subjects(Query().email("alice@example.com").subject("old")),
            (std::vector<std::string>{"CN=Alice Old,O=Example"}));
  EXPECT_TRUE(subjects(Query().email("alice@example.com").is_ca(true)).empty());
}

TEST_P(StoreQueryTest, LimitKeepsTheNewest) {
  EXPECT_EQ(subjects(Query().limit(2)),
            (std::vector<std::string>{"CN=alice,O=Example", "CN=bob,O=Example"}));
  EXPECT_EQ(subjects(Query().is_ca(false).limit(1)),
            (std::vector<std::string>{"CN=alice,O=Example"}));
  EXPECT_EQ(error_code_of([&] { store_->find_certificates(Query().limit(-1)); }),
            ErrorCode::invalid_input);
}

TEST_P(StoreTest, SetCertificateKeyRecordsAndClears) {
  const CertificateRecord inserted = store_->insert_certificate(fake_certificate("carol"));
  EXPECT_TRUE(store_->set_certificate_key(inserted.sha256, std::string("c0ffee"), true));
  auto loaded = store_->certificate(inserted.sha256);
  EXPECT_EQ(loaded->token_key_id, std::optional<std::string>("c0ffee"));
  EXPECT_TRUE(loaded->key_exportable);
  EXPECT_GE(loaded->updated_at, inserted.updated_at);
  EXPECT_EQ(store_->find_certificates(Query().has_key(true)).size(), 1u);

  EXPECT_TRUE(store_->set_certificate_key(inserted.sha256, std::nullopt, true));
  loaded = store_->certificate(inserted.sha256);
  EXPECT_EQ(loaded->token_key_id, std::nullopt);
  EXPECT_FALSE(loaded->key_exportable);  // no key, nothing to export
  EXPECT_TRUE(store_->find_certificates(Query().has_key(true)).empty());

  EXPECT_FALSE(store_->set_certificate_key(sha256_hex("nobody"), std::string("01"), false));
}

TEST_P(StoreTest, TrustFlagIsStoredAndChanged) {
  CertificateRecord record = fake_certificate("intermediate");
  record.trusted = false;
  const CertificateRecord inserted = store_->insert_certificate(record);
  EXPECT_FALSE(store_->certificate(inserted.sha256)->trusted);
  EXPECT_TRUE(
      store_->certificate(store_->insert_certificate(fake_certificate("root")).sha256)->trusted);

  const std::int64_t before = store_->revision();
  EXPECT_TRUE(store_->set_certificate_trust(inserted.sha256, true));
  EXPECT_TRUE(store_->certificate(inserted.sha256)->trusted);
  EXPECT_GT(store_->revision(), before);  // caches of anchors notice
  EXPECT_TRUE(store_->set_certificate_trust(inserted.sha256, false));
  EXPECT_FALSE(store_->find_certificates(Query().prefix(inserted.sha256)).at(0).trusted);
  EXPECT_FALSE(store_->set_certificate_trust(sha256_hex("nobody"), true));
}

TEST_P(StoreTest, DeleteCascadesToEmails) {
  const CertificateRecord kept = store_->insert_certificate(fake_certificate("kept"));
  CertificateRecord gone = fake_certificate("gone");
  gone.emails = {"gone@example.com", "gone2@example.com"};
  store_->insert_certificate(gone);
  EXPECT_EQ(db_.raw_query("SELECT count(*) FROM certificate_emails"), "3");

  EXPECT_TRUE(store_->delete_certificate(gone.sha256));
  EXPECT_FALSE(store_->delete_certificate(gone.sha256));
  EXPECT_EQ(store_->certificate(gone.sha256), std::nullopt);
  EXPECT_TRUE(store_->find_certificates(Query().email("gone@example.com")).empty());
  EXPECT_EQ(db_.raw_query("SELECT count(*) FROM certificate_emails"), "1");
  EXPECT_EQ(store_->certificate(kept.sha256)->emails,
            (std::vector<std::string>{"kept@example.com"}));
}

TEST_P(StoreTest, GroupsCreateReadUpdateDelete) {
  EXPECT_EQ(store_->group("sales"), std::nullopt);
  store_->upsert_group(make_group("sales", "Sales@Example.com", DefaultBehaviour::sign));
  store_->upsert_group(make_group("board", "board@example.com", DefaultBehaviour::sign_encrypt));
  auto sales = store_->group("sales");
  ASSERT_TRUE(sales.has_value());
  EXPECT_EQ(sales->email, "sales@example.com");
  EXPECT_EQ(sales->behaviour, DefaultBehaviour::sign);
  EXPECT_GT(sales->created_at, 0);
  const std::int64_t created = sales->created_at;

  GroupRecord update = make_group("sales", "team@example.com", DefaultBehaviour::none);
  update.created_at = 1;  // ignored: the store keeps the original
  store_->upsert_group(update);
  sales = store_->group("sales");
  EXPECT_EQ(sales->email, "team@example.com");
  EXPECT_EQ(sales->behaviour, DefaultBehaviour::none);
  EXPECT_EQ(sales->created_at, created);  // kept by an update
  EXPECT_GE(sales->updated_at, created);

  const auto groups = store_->list_groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "board");
  EXPECT_EQ(groups[1].name, "sales");
  EXPECT_EQ(store_->group("Sales"), std::nullopt);  // names are case-sensitive

  EXPECT_TRUE(store_->delete_group("sales"));
  EXPECT_FALSE(store_->delete_group("sales"));
  EXPECT_EQ(store_->list_groups().size(), 1u);
  EXPECT_EQ(error_code_of([&] { store_->upsert_group(make_group("")); }), ErrorCode::invalid_input);
}

// A group's own verification policy (SQLite migration 11, PostgreSQL 10): unset is NULL (the
// appliance's setting), each value round-trips, and an update replaces it.
TEST_P(StoreTest, GroupVerificationPolicyRoundTripsAndUnsetIsTheAppliances) {
  store_->upsert_group(make_group("sales", "sales@example.com", DefaultBehaviour::sign));
  auto sales = store_->group("sales");
  ASSERT_TRUE(sales.has_value());
  EXPECT_EQ(sales->revocation_hard, std::nullopt);
  EXPECT_EQ(sales->reject_sha1, std::nullopt);

  GroupRecord strict = make_group("sales", "sales@example.com", DefaultBehaviour::sign);
  strict.revocation_hard = true;
  strict.reject_sha1 = false;
  store_->upsert_group(strict);
  sales = store_->group("sales");
  EXPECT_EQ(sales->revocation_hard, std::optional<bool>(true));
  EXPECT_EQ(sales->reject_sha1, std::optional<bool>(false));
  EXPECT_EQ(store_->list_groups().at(0).revocation_hard, std::optional<bool>(true));

  strict.revocation_hard = false;
  strict.reject_sha1 = true;
  store_->upsert_group(strict);
  sales = store_->group("sales");
  EXPECT_EQ(sales->revocation_hard, std::optional<bool>(false));
  EXPECT_EQ(sales->reject_sha1, std::optional<bool>(true));

  store_->upsert_group(make_group("sales", "sales@example.com", DefaultBehaviour::sign));
  sales = store_->group("sales");
  EXPECT_EQ(sales->revocation_hard, std::nullopt);
  EXPECT_EQ(sales->reject_sha1, std::nullopt);
  EXPECT_EQ(db_.raw_query("SELECT count(*) FROM groups WHERE revocation IS NULL AND "
                          "reject_sha1 IS NULL"),
            "1");
}

CrlRecord fake_crl(const std::string& issuer, std::int64_t this_update) {
  CrlRecord crl;
  crl.issuer = issuer;
  crl.issuer_sha256 = sha256_hex(issuer);
  crl.der = {0x30, 0x01, static_cast<unsigned char>(this_update & 0xff)};
  crl.this_update = this_update;
  crl.next_update = this_update + 86400;
  crl.crl_number = std::to_string(this_update);
  return crl;
}

TEST_P(StoreTest, CrlInsertReplaceRefuseAndRevocation) {
  const std::string issuer = "CN=Example CA,O=Example";
  const CrlRecord first =
      store_->insert_crl(fake_crl(issuer, 1000), {{"0A", 900, "keyCompromise"}, {"0b", 950, ""}});
  EXPECT_GT(first.id, 0);
  EXPECT_GT(first.imported_at, 0);
  store_->insert_crl(fake_crl("CN=Other CA", 500), {{"0a", 400, "superseded"}});

  auto entry = store_->revocation(issuer, "0a");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->serial, "0a");
  EXPECT_EQ(entry->revoked_at, 900);
  EXPECT_EQ(entry->reason, "keyCompromise");
  EXPECT_EQ(store_->revocation(issuer, "0B")->reason, "");
  EXPECT_EQ(store_->revocation(issuer, "0c"), std::nullopt);
  EXPECT_EQ(store_->revocation("CN=Other CA", "0a")->reason, "superseded");
  EXPECT_EQ(store_->revocation("CN=Unknown", "0a"), std::nullopt);

  std::string message;
  EXPECT_EQ(error_code_of([&] { store_->insert_crl(fake_crl(issuer, 999), {}); }, &message),
            ErrorCode::conflict);
  EXPECT_EQ(message, "A newer or equal CRL of " + issuer + " is already stored");
  EXPECT_EQ(error_code_of([&] { store_->insert_crl(fake_crl(issuer, 1000), {}); }),
            ErrorCode::conflict);
  EXPECT_TRUE(store_->revocation(issuer, "0a").has_value());  // the refusal changed nothing

  store_->insert_crl(fake_crl(issuer, 2000), {{"0c", 1900, "cessationOfOperation"}});
  const auto crls = store_->list_crls();  // by issuer
  ASSERT_EQ(crls.size(), 2u);
  EXPECT_EQ(crls[1].issuer, "CN=Other CA");
  const CrlRecord& replaced = crls[0];
  EXPECT_EQ(replaced.issuer, issuer);
  EXPECT_EQ(replaced.this_update, 2000);
  EXPECT_EQ(replaced.next_update, 2000 + 86400);
  EXPECT_EQ(replaced.crl_number, "2000");
  EXPECT_EQ(replaced.issuer_sha256, sha256_hex(issuer));
  EXPECT_EQ(replaced.der, fake_crl(issuer, 2000).der);
  EXPECT_GT(replaced.imported_at, 0);
  EXPECT_EQ(store_->revocation(issuer, "0a"), std::nullopt);
  EXPECT_EQ(store_->revocation(issuer, "0c")->reason, "cessationOfOperation");
  // The replaced CRL's entries went with it.
  EXPECT_EQ(db_.raw_query("SELECT count(*) FROM revoked_certificates"), "2");
}

TEST_P(StoreTest, RevisionGrowsWithEveryCertificateAndCrlChangeSeenByOtherConnections) {
  std::unique_ptr<Store> other = db_.open_other_store();
  std::int64_t seen = store_->revision();
  EXPECT_EQ(other->revision(), seen);
  const auto changed = [&](const char* what) {
    const std::int64_t now = other->revision();
    EXPECT_GT(now, seen) << what;
    seen = now;
  };
  const CertificateRecord inserted = store_->insert_certificate(fake_certificate("dave"));
  changed("insert");
  store_->set_certificate_key(inserted.sha256, std::string("0d"), false);
  changed("key link");
  store_->insert_crl(fake_crl("CN=Revision CA", 10), {{"01", 5, ""}});
  changed("CRL");
  store_->delete_certificate(inserted.sha256);
  changed("delete");
  store_->upsert_group({.name = "support", .email = "support@example.org"});
  changed("group");  // the engine keeps the group list per revision too
  // A refused change leaves it alone.
  EXPECT_EQ(error_code_of([&] { store_->insert_crl(fake_crl("CN=Revision CA", 9), {}); }),
            ErrorCode::conflict);
  EXPECT_EQ(other->revision(), seen);
}

TEST_P(StoreTest, ARevisionScopeReadsTheRevisionOncePerStore) {
  std::unique_ptr<Store> other = db_.open_other_store();
  const std::int64_t before = store_->revision();
  {
    const RevisionScope request;
    EXPECT_EQ(current_revision(*store_), before);
    other->insert_certificate(fake_certificate("during"));  // another node, mid-request
    EXPECT_EQ(current_revision(*store_), before) << "one reading for the whole request";
    {
      const RevisionScope nested;
      EXPECT_EQ(current_revision(*store_), before) << "a nested scope shares the outer one";
    }
    EXPECT_EQ(current_revision(*store_), before);
    EXPECT_GT(current_revision(*other), before) << "another store is read for itself";
  }
  EXPECT_GT(current_revision(*store_), before) << "the next request sees the change";
  other->insert_certificate(fake_certificate("after"));
  const std::int64_t later = current_revision(*store_);
  other->insert_certificate(fake_certificate("later"));
  EXPECT_GT(current_revision(*store_), later) << "without a scope every call reads";
}

// A seed (the revision read with the request's API token) starts the next scope without a
// read, once: a later scope reads again.
TEST_P(StoreTest, ARevisionSeedStartsTheNextScopeOnce) {
  std::unique_ptr<Store> other = db_.open_other_store();
  const std::int64_t seeded = store_->revision();
  {
    const RevisionSeed seed(seeded);
    other->insert_certificate(fake_certificate("after the token's read"));
    {
      const RevisionScope request;
      EXPECT_EQ(current_revision(*store_), seeded) << "the seed, not a read";
      {
        const RevisionScope nested;
        EXPECT_EQ(current_revision(*store_), seeded);
      }
    }
    const RevisionScope next;
    EXPECT_GT(current_revision(*store_), seeded) << "a seed is used once";
  }
  const RevisionSeed none(std::nullopt);
  const RevisionScope unseeded;
  EXPECT_EQ(current_revision(*store_), store_->revision());
}

TEST_P(StoreTest, InTransactionRollsBackWhenTheBodyThrows) {
  EXPECT_THROW(store_->in_transaction([&] {
    store_->insert_certificate(fake_certificate("a"));
    store_->upsert_group(make_group("g", "g@example.com"));
    store_->insert_crl(fake_crl("CN=CA", 1), {{"01", 1, ""}});
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  EXPECT_TRUE(store_->find_certificates({}).empty());
  EXPECT_TRUE(store_->list_groups().empty());
  EXPECT_TRUE(store_->list_crls().empty());
  EXPECT_EQ(db_.raw_query("SELECT count(*) FROM certificate_emails"), "0");
  // And the store is usable afterwards.
  store_->insert_certificate(fake_certificate("b"));
  EXPECT_EQ(store_->find_certificates({}).size(), 1u);
}

TEST_P(StoreTest, NestedCallsCommitTogether) {
  std::string seen_outside;
  store_->in_transaction([&] {
    store_->insert_certificate(fake_certificate("a"));
    store_->in_transaction([&] { store_->insert_certificate(fake_certificate("b")); });
    store_->upsert_group(make_group("g", "g@example.com"));
    // Another connection does not see anything before the outer commit.
    seen_outside = db_.raw_query("SELECT count(*) FROM certificates");
    EXPECT_EQ(store_->find_certificates({}).size(), 2u);  // but this one does
  });
  EXPECT_EQ(seen_outside, "0");
  EXPECT_EQ(db_.raw_query("SELECT count(*) FROM certificates"), "2");
  EXPECT_EQ(store_->list_groups().size(), 1u);
}

TEST_P(StoreTest, FailedStepInsideATransactionUndoesOnlyItself) {
  store_->in_transaction([&] {
    store_->insert_certificate(fake_certificate("a"));
    // A failing method leaves no half-done row behind, even when the body goes on.
    CertificateRecord duplicate = fake_certificate("a");
    duplicate.emails = {"dup@example.com"};
    EXPECT_THROW(store_->insert_certificate(duplicate), Error);
    try {
      store_->in_transaction([&] {
        store_->insert_certificate(fake_certificate("c"));
        throw std::runtime_error("inner");
      });
    } catch (const std::runtime_error&) {
    }
    store_->insert_certificate(fake_certificate("b"));
  });
  EXPECT_EQ(store_->find_certificates({}).size(), 2u);
  EXPECT_EQ(store_->certificate(sha256_hex("c")), std::nullopt);
  EXPECT_TRUE(store_->find_certificates(Query().email("dup@example.com")).empty());
}

// The engine keeps the group list per store revision: every change of a group bumps it.
TEST_F(SqliteStoreTest, EveryChangeOfAGroupBumpsTheRevision) {
  std::int64_t before = store_->revision();
  store_->upsert_group({.name = "sales", .email = "sales@example.com"});
  EXPECT_GT(store_->revision(), before);
  before = store_->revision();
  store_->upsert_group(
      {.name = "sales", .email = "sales@example.com", .behaviour = DefaultBehaviour::sign});
  EXPECT_GT(store_->revision(), before);
  before = store_->revision();
  EXPECT_TRUE(store_->delete_group("sales"));
  EXPECT_GT(store_->revision(), before);
  before = store_->revision();
  EXPECT_FALSE(store_->delete_group("sales"));
  EXPECT_EQ(store_->revision(), before);
}

TEST_F(SqliteStoreTest, WalForeignKeysAndSynchronousAreOn) {
  EXPECT_EQ(sqlite_pragma(*store_, "journal_mode"), "wal");
  EXPECT_EQ(sqlite_pragma(*store_, "foreign_keys"), "1");
  // FULL: administrative changes commit here with their audit entries (durable on power loss).
  EXPECT_EQ(sqlite_pragma(*store_, "synchronous"), "2");
  EXPECT_EQ(sqlite_pragma(*store_, "busy_timeout"), "10000");
  EXPECT_EQ(sqlite_pragma(*store_, "integrity_check"), "ok");
  // WAL is a property of the file: every other connection uses it too.
  EXPECT_EQ(raw_query(file_, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(error_code_of([&] { sqlite_pragma(*store_, "journal_mode=DELETE"); }),
            ErrorCode::invalid_input);
}

TEST_F(SqliteStoreTest, FilesArePrivate) {
  store_->insert_certificate(fake_certificate("a"));
  EXPECT_EQ(file_mode(file_), 0600u);
  EXPECT_EQ(file_mode(file_.parent_path()), 0700u);
  const std::filesystem::path wal = file_.string() + "-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));
  EXPECT_EQ(file_mode(wal), 0600u);
}

TEST_F(SqliteStoreTest, BackupIsACompleteCopyAndTheSourceStaysUsable) {
  for (const char* name : {"a", "b", "c"}) {
    store_->insert_certificate(fake_certificate(name));
  }
  store_->upsert_group(make_group("g", "g@example.com"));
  store_->insert_crl(fake_crl("CN=CA", 10), {{"01", 5, ""}});
  const auto destination = dir_.path() / "backups" / "copy.db";
  store_->backup(destination);
  EXPECT_EQ(file_mode(destination), 0600u);

  store_->insert_certificate(fake_certificate("d"));  // the source goes on working
  EXPECT_EQ(store_->find_certificates({}).size(), 4u);

  std::string message;
  EXPECT_EQ(error_code_of([&] { store_->backup(destination); }, &message), ErrorCode::conflict);
  EXPECT_NE(message.find("already exists"), std::string::npos);

  auto copy = open_sqlite_store(destination);
  EXPECT_EQ(copy->schema_version(), latest_schema_version());
  EXPECT_EQ(copy->find_certificates({}).size(), 3u);
  EXPECT_EQ(copy->certificate(sha256_hex("a"))->emails,
            (std::vector<std::string>{"a@example.com"}));
  EXPECT_TRUE(copy->group("g").has_value());
  EXPECT_TRUE(copy->revocation("CN=CA", "01").has_value());
  EXPECT_EQ(sqlite_pragma(*copy, "integrity_check"), "ok");
}

TEST_P(StoreTest, BackupInsideATransactionIsRefused) {
  const auto destination = dir_.path() / "copy.db";
  store_->in_transaction(
      [&] { EXPECT_EQ(error_code_of([&] { store_->backup(destination); }), ErrorCode::conflict); });
  EXPECT_FALSE(std::filesystem::exists(destination));
}

TEST(SqliteStoreOpenTest, NotADatabaseIsAStorageFailure) {
  test::TempDir dir;
  const auto file = dir.path() / "garbage.db";
  std::ofstream(file) << std::string(4096, 'x');
  std::string message;
  EXPECT_EQ(error_code_of([&] { open_sqlite_store(file); }, &message), ErrorCode::storage_failure);
  EXPECT_NE(message.find("not a database"), std::string::npos) << message;
}

}  // namespace
}  // namespace smime::store
