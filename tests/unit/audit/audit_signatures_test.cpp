// The signature layers of an incoming message's audit entry (issue 16 item 5), on SQLite and
// PostgreSQL: stored and listed as the JSON array they were recorded as, covered by the hash
// chain, bounded in size by whole layers, and [] for every other entry.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "audit_test_support.hpp"
#include "smime/audit/audit_json.hpp"

namespace smime::audit::testing {
namespace {

nlohmann::json layer(const std::string& signer, const std::string& chain) {
  return {{"format", "multipart/signed"},
          {"status", chain == "valid" ? "valid" : "invalid"},
          {"signer", {{"subject", signer}}},
          {"checks", {{"chain", {{"status", chain}, {"reason", "because"}}}}},
          {"warnings", nlohmann::json::array({"revocation_unknown"})}};
}

AuditEvent verified(const nlohmann::json& layers) {
  AuditEvent event;
  event.actor = "7";
  event.direction = Direction::incoming;
  event.operation = "message.verify";
  event.detail = "signature valid";
  event.signatures = layers.dump();
  return event;
}

using AuditSignaturesTest = AuditTest;

INSTANTIATE_TEST_SUITE_P(Backends, AuditSignaturesTest, test::kAllBackends,
                         test::backend_test_name);

TEST_P(AuditSignaturesTest, LayersAreStoredAndListedAsRecorded) {
  const auto log = open_log();
  const nlohmann::json layers = {layer("CN=Outer <img src=x>", "valid"),
                                 layer("CN=Inner", "invalid")};
  log->record(verified(layers));
  log->record(admin_event("group.set"));
  const auto entries = log->list({});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(entries[1].event.signatures), layers);
  const nlohmann::json listed = to_json(entries[1]);
  ASSERT_TRUE(listed["signatures"].is_array());
  ASSERT_EQ(listed["signatures"].size(), 2u);
  EXPECT_EQ(listed["signatures"][0]["signer"]["subject"], "CN=Outer <img src=x>");
  EXPECT_EQ(listed["signatures"][1]["checks"]["chain"]["status"], "invalid");
  EXPECT_TRUE(entries[0].event.signatures.empty());
  EXPECT_EQ(to_json(entries[0])["signatures"], nlohmann::json::array());
  EXPECT_TRUE(log->verify().intact) << log->verify().reason;
}

TEST_P(AuditSignaturesTest, TheHashCoversTheLayers) {
  {
    const auto log = open_log();
    log->record(admin_event("op 1"));
    log->record(verified(nlohmann::json::array({layer("CN=Signer", "invalid")})));
    log->record(admin_event("op 3"));
  }
  RawDatabase db = raw();
  db.drop_guards();
  // A failing chain edited into a valid one.
  db.exec(
      "UPDATE audit_log SET signatures = replace(signatures, '\"invalid\"', '\"valid\"') "
      "WHERE id = 2");
  VerifyReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.problem, ChainProblem::edited);
  EXPECT_EQ(report.broken_id, 2);
}

TEST_P(AuditSignaturesTest, LayersAddedToAnEntryWithoutAnyAreDetected) {
  write_entries(2);
  RawDatabase db = raw();
  db.drop_guards();
  db.exec("UPDATE audit_log SET signatures = '[{\"status\":\"valid\"}]' WHERE id = 1");
  VerifyReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.broken_id, 1);
}

TEST_P(AuditSignaturesTest, OnlyWholeLayersThatFitAreKept) {
  const nlohmann::json first = layer("CN=Outer", "valid");
  AuditLogOptions options;
  options.entry.signatures_bytes = nlohmann::json::array({first}).dump().size() + 8;
  const auto log = open_log(options);
  log->record(verified(
      nlohmann::json::array({first, layer("CN=Inner " + std::string(500, 'x'), "valid")})));
  AuditEvent not_json = verified(nlohmann::json::array());
  not_json.signatures = "{\"not\": \"an array\"}";
  log->record(not_json);
  AuditEvent too_big = verified(nlohmann::json::array({layer(std::string(2000, 'y'), "valid")}));
  log->record(too_big);
  const auto entries = log->list({});
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(entries[2].event.signatures), nlohmann::json::array({first}));
  EXPECT_TRUE(entries[1].event.signatures.empty());
  EXPECT_TRUE(entries[0].event.signatures.empty());
  EXPECT_TRUE(log->verify().intact) << log->verify().reason;
}

}  // namespace
}  // namespace smime::audit::testing
