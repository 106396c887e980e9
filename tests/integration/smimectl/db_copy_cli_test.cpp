// smimectl db copy --to postgresql://...: a home's SQLite appliance moved to a real PostgreSQL
// database, after which the same home with SMIME_STORE_URL works as before (groups,
// certificates, API tokens, `log verify`), and what it refuses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "smime/postgres/database.hpp"
#include "smime/store/api_token_store.hpp"
#include "smime/store/postgres_store.hpp"
#include "smimectl_home.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "unit/audit/audit_test_support.hpp"

namespace smime::audit::testing {
namespace {

class DbCopyCliTest : public test::SmimectlHomeTest {
 protected:
  std::string url_ = test::fresh_database_url();

  nlohmann::json json_of(const std::vector<std::string>& args, const std::string& store_url = "") {
    std::vector<std::string> with_json = {"--json"};
    with_json.insert(with_json.end(), args.begin(), args.end());
    const test::ProcessResult result = smimectl(with_json, store_url);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out);
  }

  // A certificate smimectl accepts, made with the openssl CLI.
  std::string make_certificate(const std::string& name) {
    const std::string key = dir_.file(name + ".key");
    const std::string cert = dir_.file(name + ".pem");
    const test::ProcessResult req =
        test::run_process({"openssl",  "req",
                           "-x509",    "-newkey",
                           "rsa:2048", "-nodes",
                           "-keyout",  key,
                           "-out",     cert,
                           "-days",    "30",
                           "-subj",    "/CN=" + name,
                           "-addext",  "subjectAltName=email:" + name + "@example.org",
                           "-addext",  "keyUsage=digitalSignature,keyEncipherment",
                           "-addext",  "extendedKeyUsage=emailProtection"});
    EXPECT_EQ(req.exit_code, 0) << req.err;
    return cert;
  }
};

TEST_F(DbCopyCliTest, AnSqliteHomeMovesToPostgresqlAndWorksAsBefore) {
  // One trust anchor and one certificate for path building only: the flag is copied too.
  ASSERT_EQ(smimectl({"cert", "import", make_certificate("alice")}).exit_code, 0);
  ASSERT_EQ(smimectl({"cert", "import", "--no-trust", make_certificate("bob")}).exit_code, 0);
  ASSERT_EQ(smimectl({"group", "set", "support", "--email", "support@example.org"}).exit_code, 0);
  ASSERT_EQ(smimectl({"group", "set", "sales", "--email", "sales@example.org"}).exit_code, 0);
  const nlohmann::json live = json_of({"apitoken", "create", "--role", "operator", "--name", "hd"});
  const nlohmann::json old = json_of({"apitoken", "create", "--role", "admin", "--name", "old"});
  ASSERT_EQ(smimectl({"apitoken", "revoke", std::to_string(old["id"].get<int>())}).exit_code, 0);
  EXPECT_EQ(smimectl({"group", "delete", "nobody"}).exit_code, 1);  // a failed entry too
  const nlohmann::json source_chain = json_of({"log", "verify"});
  const int entries = source_chain["entries"];
  ASSERT_GE(entries, 8);

  const nlohmann::json copied = json_of({"db", "copy", "--to", url_});
  EXPECT_EQ(copied["tables"]["certificates"], 2) << copied.dump();
  EXPECT_EQ(copied["tables"]["groups"], 2);
  EXPECT_EQ(copied["tables"]["api_tokens"], 2);
  EXPECT_EQ(copied["tables"]["audit_log"], entries);
  EXPECT_EQ(copied["audit_head"]["sqlite"]["id"], source_chain["last_id"]);
  EXPECT_EQ(copied["audit_head"]["sqlite"]["hash"], source_chain["head_hash"]);
  EXPECT_EQ(copied["audit_head"]["postgresql"], copied["audit_head"]["sqlite"]);

  // The same home on PostgreSQL: the chain goes on with the copy's own entry.
  const test::ProcessResult verified = smimectl({"log", "verify"}, url_);
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("chain intact, " + std::to_string(entries + 1) + " entries"),
            std::string::npos)
      << verified.out;
  const nlohmann::json copy_entries = json_of({"log", "list", "--operation", "db.copy"}, url_);
  ASSERT_EQ(copy_entries.size(), 1u);
  EXPECT_EQ(copy_entries[0]["actor"], "smimectl");
  EXPECT_EQ(copy_entries[0]["direction"], "admin");
  EXPECT_NE(copy_entries[0]["detail"].get<std::string>().find("certificates 2"), std::string::npos);
  EXPECT_EQ(json_of({"log", "list", "--limit", "100"}, url_).size(),
            static_cast<std::size_t>(entries + 1));
  EXPECT_EQ(json_of({"group", "list"}, url_), json_of({"group", "list"}));
  EXPECT_EQ(json_of({"cert", "list"}, url_), json_of({"cert", "list"}));
  std::set<bool> trusted;
  for (const auto& c : json_of({"cert", "list"}, url_)) trusted.insert(c["trusted"].get<bool>());
  EXPECT_EQ(trusted, (std::set<bool>{true, false}));
  const nlohmann::json tokens = json_of({"apitoken", "list"}, url_);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[1]["revoked"], true);

  // The secret printed before the copy authenticates against PostgreSQL.
  auto database = store::open_postgres_database(url_, 1);
  auto api_tokens = store::open_postgres_api_token_store(database);
  const auto authenticated = api_tokens->authenticate(live["secret"].get<std::string>());
  ASSERT_TRUE(authenticated.has_value());
  EXPECT_EQ(authenticated->id, live["id"].get<std::int64_t>());
  EXPECT_EQ(api_tokens->authenticate(old["secret"].get<std::string>()), std::nullopt);

  // Changes go on there: a new certificate gets a new id, the log stays intact.
  ASSERT_EQ(smimectl({"cert", "import", make_certificate("carol")}, url_).exit_code, 0);
  EXPECT_EQ(json_of({"cert", "list"}, url_).size(), 3u);
  EXPECT_EQ(smimectl({"log", "verify"}, url_).exit_code, 0);

  // A second copy into the same database is refused and changes nothing.
  const test::ProcessResult again = smimectl({"db", "copy", "--to", url_});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;
  EXPECT_EQ(json_of({"cert", "list"}, url_).size(), 3u);
  EXPECT_EQ(json_of({"log", "verify"}, url_)["entries"], entries + 2);
}

TEST_F(DbCopyCliTest, WithoutAnSqliteDatabaseThereIsNothingToCopy) {
  const test::ProcessResult missing = smimectl({"db", "copy", "--to", url_});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("No SQLite database"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(file_)) << "the source is not created";
  EXPECT_EQ(smimectl({"db", "copy"}).exit_code, 2) << "--to is required";
}

}  // namespace
}  // namespace smime::audit::testing
