// The audit log's append and list side, on SQLite and PostgreSQL: order, filters, paging,
// counts, stored fields, entries committing with the change they record, needs and the
// retryable marking of failed incoming entries once the store has what they needed.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "audit_test_support.hpp"
#include "smime/common/error.hpp"
#include "unit/store/fake_records.hpp"

namespace smime::audit::testing {
namespace {

AuditEvent message_event(Direction direction, const std::string& operation, Status status,
                         std::vector<std::string> addresses) {
  AuditEvent event;
  event.actor = "7";
  event.direction = direction;
  event.operation = operation;
  event.status = status;
  event.message_id = operation + "@example.org";
  event.addresses = std::move(addresses);
  return event;
}

using AuditLogTest = AuditTest;

INSTANTIATE_TEST_SUITE_P(Backends, AuditLogTest, test::kAllBackends, test::backend_test_name);

TEST_P(AuditLogTest, ListsNewestFirstWithEveryField) {
  const auto log = open_log();
  AuditEvent first = message_event(Direction::outgoing, "message.sign", Status::ok,
                                   {"support@example.org", "Customer@Example.com"});
  first.fingerprints = {std::string(64, 'a')};
  first.detail = "signed with RSA";
  first.at_ms = 1'700'000'000'123;
  log->record(first);
  log->record(admin_event("certificate.import"));

  const auto entries = log->list({});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, 2);
  EXPECT_EQ(entries[0].event.operation, "certificate.import");
  EXPECT_GT(entries[0].event.at_ms, 1'700'000'000'000) << "record() stamps the time";
  EXPECT_EQ(entries[1].id, 1);
  EXPECT_EQ(entries[1].event.actor, "7");
  EXPECT_EQ(entries[1].event.direction, Direction::outgoing);
  EXPECT_EQ(entries[1].event.status, Status::ok);
  EXPECT_EQ(entries[1].event.message_id, "message.sign@example.org");
  EXPECT_EQ(entries[1].event.addresses, first.addresses);
  EXPECT_EQ(entries[1].event.fingerprints, first.fingerprints);
  EXPECT_EQ(entries[1].event.detail, "signed with RSA");
  EXPECT_EQ(entries[1].event.at_ms, 1'700'000'000'123);
  EXPECT_EQ(entries[1].previous_hash, kGenesisHash);
  EXPECT_EQ(entries[0].previous_hash, entries[1].hash);
  EXPECT_EQ(entries[0].hash.size(), 64u);
}

TEST_P(AuditLogTest, FiltersCombineAndPage) {
  const auto log = open_log();
  log->record(message_event(Direction::outgoing, "message.sign", Status::ok, {"a@example.org"}));
  log->record(message_event(Direction::incoming, "message.decrypt", Status::failed,
                            {"b@example.org", "c@example.org"}));
  log->record(message_event(Direction::incoming, "message.verify", Status::ok, {"B@Example.org"}));
  log->record(admin_event("group.set"));

  AuditQuery incoming;
  incoming.direction = Direction::incoming;
  EXPECT_EQ(log->list(incoming).size(), 2u);
  EXPECT_EQ(log->count(incoming), 2);

  AuditQuery failed;
  failed.status = Status::failed;
  ASSERT_EQ(log->list(failed).size(), 1u);
  EXPECT_EQ(log->list(failed)[0].event.operation, "message.decrypt");

  AuditQuery by_address;
  by_address.address = "b@EXAMPLE";  // case-insensitive substring
  const auto matched = log->list(by_address);
  ASSERT_EQ(matched.size(), 2u);
  EXPECT_EQ(matched[0].event.operation, "message.verify");

  AuditQuery by_operation;
  by_operation.operation = "group.set";
  by_operation.direction = Direction::admin;
  EXPECT_EQ(log->list(by_operation).size(), 1u);
  by_operation.direction = Direction::incoming;
  EXPECT_TRUE(log->list(by_operation).empty());

  AuditQuery page;
  page.limit = 2;
  page.offset = 1;
  const auto paged = log->list(page);
  ASSERT_EQ(paged.size(), 2u);
  EXPECT_EQ(paged[0].id, 3);
  EXPECT_EQ(paged[1].id, 2);

  AuditQuery since;
  since.since_ms = log->list({})[0].event.at_ms + 60'000;
  EXPECT_TRUE(log->list(since).empty());

  AuditQuery actor;
  actor.actor = "smimectl";
  EXPECT_EQ(log->count(actor), 1);
}

TEST_P(AuditLogTest, RejectsBadQueriesAndIncompleteEvents) {
  const auto log = open_log();
  AuditQuery zero;
  zero.limit = 0;
  EXPECT_THROW(log->list(zero), Error);
  AuditQuery negative;
  negative.offset = -1;
  EXPECT_THROW(log->list(negative), Error);
  AuditEvent no_actor = admin_event("group.set");
  no_actor.actor.clear();
  EXPECT_THROW(log->record(no_actor), Error);
  EXPECT_TRUE(log->list({}).empty());
}

TEST_P(AuditLogTest, InvalidUtf8IsStoredReplacedAndStillVerifies) {
  const auto log = open_log();
  AuditEvent event = admin_event("certificate.import", std::string("bad \xff\xfe bytes"));
  event.addresses = {std::string("x\xc3@example.org")};
  log->record(event);
  const auto entries = log->list({});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].event.detail, "bad \xef\xbf\xbd\xef\xbf\xbd bytes");
  EXPECT_TRUE(log->verify().intact) << log->verify().reason;
}

TEST_P(AuditLogTest, TheTableIsAppendOnlyForOrdinaryWriters) {
  write_entries(2);
  RawDatabase db = raw();
  EXPECT_THROW(db.exec("UPDATE audit_log SET detail = 'x' WHERE id = 1"), std::runtime_error);
  EXPECT_THROW(db.exec("DELETE FROM audit_log WHERE id = 2"), std::runtime_error);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM audit_log"), "2");
}

TEST(AuditNeed, TextFormRoundTripsWithEscapes) {
  Need need{"key", "CN=Org CA\\;x,O=Example", "1f", "ab12", ""};
  const std::string text = need.to_string();
  EXPECT_EQ(text.rfind("key issuer=", 0), 0u) << text;
  auto parsed = parse_need(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, need);
  Need ca{"certificate", "", "", "cd34", "CN=Root;O=Example"};
  EXPECT_EQ(parse_need(ca.to_string()), ca);
  EXPECT_FALSE(parse_need("the signer's certificate"));
  EXPECT_FALSE(parse_need("key serial=01"));  // nothing that identifies a certificate
  EXPECT_FALSE(parse_need("key issuer=CN=a;issuer=CN=b"));
  EXPECT_FALSE(parse_need("robot issuer=CN=a"));
}

TEST_P(AuditLogTest, FailedIncomingEntriesBecomeRetryableOnceTheStoreHasWhatTheyNeeded) {
  auto store = open_store();
  const auto log = open_log();
  const store::CertificateRecord org = store::testing::fake_certificate("org");
  const store::CertificateRecord signer = store::testing::fake_certificate("signer");
  store::CertificateRecord ca = store::testing::fake_certificate("ca");
  ca.subject_key_id = "c0ffee";

  AuditEvent no_key = message_event(Direction::incoming, "message.decrypt", Status::failed, {});
  no_key.needs = {Need{"key", "CN=Other CA", "99", "", ""}.to_string(),
                  Need{"key", org.issuer, org.serial, "", ""}.to_string()};
  log->record(no_key);
  AuditEvent unknown_signer =
      message_event(Direction::incoming, "message.verify", Status::failed, {});
  unknown_signer.needs = {Need{"certificate", signer.issuer, signer.serial, "", ""}.to_string()};
  log->record(unknown_signer);
  AuditEvent untrusted = message_event(Direction::incoming, "message.verify", Status::failed, {});
  untrusted.needs = {Need{"certificate", "", "", "C0FFEE", "CN=whatever"}.to_string()};
  log->record(untrusted);
  AuditEvent free_form = message_event(Direction::incoming, "message.verify", Status::failed, {});
  free_form.needs = {"the signer's certificate"};
  log->record(free_form);
  AuditEvent outgoing = message_event(Direction::outgoing, "message.sign", Status::failed, {});
  outgoing.needs = unknown_signer.needs;  // only failed incoming entries are retryable
  log->record(outgoing);
  AuditEvent by_name = message_event(Direction::incoming, "message.verify", Status::failed, {});
  by_name.needs = {Need{"certificate", "", "", "", ca.subject}.to_string()};
  log->record(by_name);

  const auto retryable_ids = [&] {
    std::vector<std::int64_t> ids;
    for (const auto& e : log->list({}, store.get())) {
      if (e.retryable) ids.push_back(e.id);
    }
    return ids;
  };
  EXPECT_TRUE(retryable_ids().empty());
  AuditQuery only;
  only.retryable_only = true;
  EXPECT_TRUE(log->list(only, store.get()).empty());
  EXPECT_THROW(log->list(only), Error) << "retryable needs the store";

  store->insert_certificate(org);  // a certificate alone is not a key
  EXPECT_TRUE(retryable_ids().empty());
  store->set_certificate_key(org.sha256, std::string("0a0b"), false);
  EXPECT_EQ(retryable_ids(), (std::vector<std::int64_t>{1}));

  store->insert_certificate(signer);
  store->insert_certificate(ca);
  EXPECT_EQ(retryable_ids(), (std::vector<std::int64_t>{6, 3, 2, 1}));
  EXPECT_FALSE(log->list({}).front().retryable) << "not computed without a store";

  only.limit = 1;
  only.offset = 1;
  const auto second = log->list(only, store.get());
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, 3);
}

}  // namespace
}  // namespace smime::audit::testing

namespace smime::audit::testing {
namespace {

// Issue 11 item 10: what one entry stores is bounded in the log itself, whoever records it.
TEST_P(AuditLogTest, OneEntryStoresBoundedListsAndDetail) {
  const auto log = open_log();
  std::vector<std::string> addresses;
  for (int i = 0; i < 100'000; ++i) addresses.push_back("r" + std::to_string(i) + "@example.com");
  AuditEvent event = message_event(Direction::outgoing, "message.sign", Status::failed, addresses);
  event.needs.assign(5'000, "key issuer=CN=Org CA;serial=01");
  for (int i = 0; i < 20'000; ++i) event.detail += "PEM block: not a valid certificate; ";
  event.detail += std::string(10'000, 'x');
  log->record(event);

  const AuditEntry entry = log->list({}).at(0);
  const EntryLimits limits;
  ASSERT_EQ(entry.event.addresses.size(), limits.list_items + 1);
  EXPECT_EQ(entry.event.addresses[0], "r0@example.com");
  EXPECT_EQ(entry.event.addresses.back(), "(99900 more)");
  ASSERT_EQ(entry.event.needs.size(), limits.list_items + 1);
  EXPECT_EQ(entry.event.needs.back(), "(4900 more)");
  // Repeated parts once with their count, then cut with the size of what was left out.
  EXPECT_NE(entry.event.detail.find("PEM block: not a valid certificate (20000 times)"),
            std::string::npos)
      << entry.event.detail.substr(0, 200);
  EXPECT_LE(entry.event.detail.size(), limits.detail_bytes + 40);
  EXPECT_NE(entry.event.detail.find("more bytes)"), std::string::npos);
  EXPECT_TRUE(log->verify().intact);
}

TEST_P(AuditLogTest, DetailIsCutBeforeACharacter) {
  const auto log = open_log();
  AuditEvent event = admin_event("certificate.import");
  event.detail = std::string(4095, 'a') + "\xc3\xa9" + std::string(100, 'b');
  log->record(event);
  const std::string detail = log->list({}).at(0).event.detail;
  EXPECT_EQ(detail.substr(0, 4096), std::string(4095, 'a') + ".");
}

}  // namespace
}  // namespace smime::audit::testing

// A change and its entry in one transaction of the shared database, and the counts kept with
// every append (moved from postgres_audit_test.cpp: they hold on both backends).
namespace smime::audit::testing {
namespace {

TEST_P(AuditLogTest, AnEntryCommitsWithItsChangeOrNotAtAll) {
  Node node = open_node();
  AuditEvent kept = admin_event("group.create", "kept");
  node.log->record_with(kept, [&](const std::function<void()>& write_entry) {
    store::GroupRecord group;
    group.name = "sales";
    group.email = "sales@example.org";
    node.store->upsert_group(group);
    write_entry();
  });
  AuditEvent undone = admin_event("group.create", "undone");
  EXPECT_THROW(node.log->record_with(undone,
                                     [&](const std::function<void()>& write_entry) {
                                       store::GroupRecord group;
                                       group.name = "support";
                                       group.email = "support@example.org";
                                       node.store->upsert_group(group);
                                       write_entry();
                                       throw Error(ErrorCode::conflict, "refused after the entry");
                                     }),
               Error);
  EXPECT_TRUE(node.store->group("sales").has_value());
  EXPECT_FALSE(node.store->group("support").has_value()) << "the change was rolled back";
  AuditQuery query;
  query.operation = "group.create";
  const auto entries = node.log->list(query);
  ASSERT_EQ(entries.size(), 1u) << "its entry with it";
  EXPECT_EQ(entries[0].event.detail, "kept");
  EXPECT_TRUE(node.log->verify().intact);
}

TEST_P(AuditLogTest, ListingFiltersAndCounts) {
  Node node = open_node();
  for (int i = 0; i < 5; ++i) {
    node.log->record(outgoing_event("Alice" + std::to_string(i) + "@x.org"));
  }
  node.log->record(admin_event("token.create"));
  AuditQuery by_address;
  by_address.address = "alice3";  // case-insensitive substring
  const auto found = node.log->list(by_address);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].event.addresses, std::vector<std::string>{"Alice3@x.org"});

  AuditQuery outgoing;
  outgoing.direction = Direction::outgoing;
  outgoing.limit = 2;
  outgoing.offset = 1;
  const auto page = node.log->list(outgoing);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, 4) << "newest first, after the offset";
  EXPECT_EQ(node.log->known_count(outgoing), 5);
  EXPECT_EQ(node.log->count(by_address), 1);
  EXPECT_FALSE(node.log->known_count(by_address).has_value());
}

}  // namespace
}  // namespace smime::audit::testing
