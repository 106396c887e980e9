// smimectl log list / log verify on a real home directory: admin commands leave entries,
// and verify exits 1 naming the row after the file was edited with sqlite3.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "smimectl_home.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "unit/audit/audit_test_support.hpp"

namespace smime::audit::testing {
namespace {

using AuditCliTest = test::SmimectlHomeTest;

TEST_F(AuditCliTest, AdminCommandsAreRecordedAndListed) {
  ASSERT_EQ(smimectl({"group", "set", "support", "--email", "support@example.org"}).exit_code, 0);
  ASSERT_EQ(smimectl({"group", "set", "sales", "--email", "sales@example.org", "--default", "sign"})
                .exit_code,
            0);
  test::ProcessResult missing = smimectl({"group", "delete", "nobody"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(smimectl({"group", "set", "x", "--email", "not-an-address"}).exit_code, 2);

  test::ProcessResult listed = smimectl({"--json", "log", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto entries = nlohmann::json::parse(listed.out);
  ASSERT_EQ(entries.size(), 3u) << "usage errors are not recorded: " << listed.out;
  EXPECT_EQ(entries[0]["operation"], "group.delete");
  EXPECT_EQ(entries[0]["status"], "failed");
  EXPECT_NE(entries[0]["detail"].get<std::string>().find("No group named nobody"),
            std::string::npos);
  EXPECT_EQ(entries[2]["operation"], "group.set");
  EXPECT_EQ(entries[2]["actor"], "smimectl");
  EXPECT_EQ(entries[2]["direction"], "admin");
  EXPECT_EQ(entries[2]["addresses"], nlohmann::json::array({"support@example.org"}));

  test::ProcessResult filtered =
      smimectl({"--json", "log", "list", "--status", "ok", "--address", "SALES", "--limit", "5"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_EQ(nlohmann::json::parse(filtered.out).size(), 1u);

  test::ProcessResult table = smimectl({"log", "list", "--operation", "group.set"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("OPERATION"), std::string::npos);
  EXPECT_NE(table.out.find("sales@example.org"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("group.delete"), std::string::npos) << table.out;

  EXPECT_EQ(smimectl({"log", "list", "--direction", "sideways"}).exit_code, 2);
}

TEST_F(AuditCliTest, VerifyExitsOneNamingTheTamperedRow) {
  for (const char* name : {"a", "b", "c", "d"}) {
    ASSERT_EQ(
        smimectl({"group", "set", name, "--email", std::string(name) + "@example.org"}).exit_code,
        0);
  }
  test::ProcessResult ok = smimectl({"log", "verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("chain intact, 4 entries"), std::string::npos) << ok.out;

  {
    RawDatabase db(file_);
    db.drop_guards();
    db.exec("UPDATE audit_log SET addresses = '[\"mallory@example.org\"]' WHERE id = 2");
  }
  test::ProcessResult edited = smimectl({"log", "verify"});
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_NE(edited.err.find("row 2"), std::string::npos) << edited.err;
  EXPECT_NE(edited.err.find("edited"), std::string::npos) << edited.err;

  test::ProcessResult as_json = smimectl({"--json", "log", "verify"});
  EXPECT_EQ(as_json.exit_code, 1);
  const auto report = nlohmann::json::parse(as_json.out);
  EXPECT_EQ(report["intact"], false);
  EXPECT_EQ(report["broken_id"], 2);
  EXPECT_EQ(report["problem"], "edited");
}

TEST_F(AuditCliTest, VerifyNamesADeletedRowAndChecksAnAnchor) {
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_EQ(
        smimectl({"group", "set", name, "--email", std::string(name) + "@example.org"}).exit_code,
        0);
  }
  const auto head = nlohmann::json::parse(smimectl({"--json", "log", "verify"}).out);
  const std::string anchor =
      std::to_string(head["last_id"].get<int>()) + ":" + head["head_hash"].get<std::string>();
  EXPECT_EQ(smimectl({"log", "verify", "--anchor", anchor}).exit_code, 0);
  {
    RawDatabase db(file_);
    db.drop_guards();
    db.exec("DELETE FROM audit_log WHERE id = 2");
  }
  test::ProcessResult deleted = smimectl({"log", "verify"});
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_NE(deleted.err.find("row 2"), std::string::npos) << deleted.err;
  EXPECT_NE(deleted.err.find("deleted"), std::string::npos) << deleted.err;
}

TEST_F(AuditCliTest, AFailedIncomingMessageBecomesRetryableAfterTheCertificateIsImported) {
  const std::string key = dir_.file("alice.key");
  const std::string cert = dir_.file("alice.pem");
  const std::string body = dir_.file("body.txt");
  const std::string message = dir_.file("signed.eml");
  test::ProcessResult req =
      test::run_process({"openssl",  "req",
                         "-x509",    "-newkey",
                         "rsa:2048", "-nodes",
                         "-keyout",  key,
                         "-out",     cert,
                         "-days",    "30",
                         "-subj",    "/CN=Alice",
                         "-addext",  "subjectAltName=email:alice@example.org",
                         "-addext",  "keyUsage=digitalSignature,keyEncipherment",
                         "-addext",  "extendedKeyUsage=emailProtection"});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  test::write_file(body, "Content-Type: text/plain\r\n\r\nhello\r\n");
  // -nocerts: the signer's certificate is not in the message, so it must come from the store.
  test::ProcessResult sign = test::run_process(
      {"openssl", "cms", "-sign", "-signer", cert, "-inkey", key, "-nocerts", "-in", body, "-out",
       message, "-from", "alice@example.org", "-to", "bob@example.org", "-subject", "hi"});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;

  EXPECT_EQ(smimectl({"message", "incoming", "--in", message}).exit_code, 1);
  test::ProcessResult failed = smimectl({"--json", "log", "list", "--status", "failed"});
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  auto entries = nlohmann::json::parse(failed.out);
  ASSERT_EQ(entries.size(), 1u) << failed.out;
  EXPECT_EQ(entries[0]["direction"], "incoming");
  EXPECT_EQ(entries[0]["operation"], "message.verify");
  ASSERT_EQ(entries[0]["needs"].size(), 1u);
  const std::string need = entries[0]["needs"][0];
  EXPECT_EQ(need.rfind("certificate issuer=CN=Alice;serial=", 0), 0u) << need;
  EXPECT_EQ(entries[0]["retryable"], false);
  EXPECT_EQ(nlohmann::json::parse(smimectl({"--json", "log", "list", "--retryable"}).out).size(),
            0u);

  ASSERT_EQ(smimectl({"cert", "import", cert}).exit_code, 0);
  auto retryable = nlohmann::json::parse(smimectl({"--json", "log", "list", "--retryable"}).out);
  ASSERT_EQ(retryable.size(), 1u);
  EXPECT_EQ(retryable[0]["id"], entries[0]["id"]);
  EXPECT_EQ(smimectl({"message", "incoming", "--in", message}).exit_code, 0)
      << "the retry succeeds";
  EXPECT_EQ(smimectl({"log", "verify"}).exit_code, 0);
}

// [store] url: two smimectl "nodes" with homes of their own on one PostgreSQL database see
// one set of groups and one audit chain; the SQLite file is not created.
TEST_F(AuditCliTest, TwoHomesOnOnePostgresqlDatabaseShareGroupsAndTheChain) {
  const std::string url = test::fresh_database_url();
  test::TempDir other;
  const auto on = [&](const std::filesystem::path& home, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SMIME_TEST_SMIMECTL, "--home", home.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_process(argv, {{"SMIME_HOME", home.string()}, {"SMIME_STORE_URL", url}});
  };
  test::ProcessResult migrated = on(dir_.path(), {"--json", "db", "migrate"});
  ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
  EXPECT_EQ(nlohmann::json::parse(migrated.out)["database"], "PostgreSQL");
  ASSERT_EQ(
      on(dir_.path(), {"group", "set", "support", "--email", "support@example.org"}).exit_code, 0);
  ASSERT_EQ(on(other.path(), {"group", "set", "sales", "--email", "sales@example.org"}).exit_code,
            0);

  test::ProcessResult groups = on(other.path(), {"--json", "group", "list"});
  ASSERT_EQ(groups.exit_code, 0) << groups.err;
  EXPECT_EQ(nlohmann::json::parse(groups.out).size(), 2u) << groups.out;
  test::ProcessResult listed = on(dir_.path(), {"--json", "log", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(nlohmann::json::parse(listed.out).size(), 2u) << listed.out;
  test::ProcessResult verified = on(other.path(), {"--json", "log", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "smime.db"));
  EXPECT_FALSE(std::filesystem::exists(other.path() / "smime.db"));

  EXPECT_EQ(on(dir_.path(), {"--json", "db", "migrate"}).exit_code, 0) << "migrating twice is fine";
}

}  // namespace
}  // namespace smime::audit::testing
