// Issue 12's defects, each run through both front ends (smimectl and the HTTPS API of an
// in-process smimed on the same home, token and database) with the same result: the use case
// is one piece of code, so its rules, audit entries and JSON shapes are the same.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>

#include "server_fixture.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/certs/certificate_info.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"
#include "support/token_server.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0);
  return st.st_mode;
}

class FrontEndsTest : public ServerTest {
 protected:
  std::filesystem::path app_home() const { return scratch_.path() / "home"; }

  // smimectl on smimed's own home, with the test token.
  ProcessResult ctl(const std::vector<std::string>& args) {
    const auto config = app_home() / "smime.toml";
    if (!std::filesystem::exists(config)) {
      write_file(config.string(), "[token]\nmodule = \"" + test_module_path() + "\"\nlabel = \"" +
                                      std::string(kTestTokenLabel) + "\"\npin = \"file:" +
                                      (home() / "user.pin").string() + "\"\nsofthsm_conf = \"" +
                                      (home() / "softhsm2.conf").string() + "\"\n");
    }
    return smimectl_in(app_home(), args);
  }
  json ctl_json(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--json"};
    all.insert(all.end(), args.begin(), args.end());
    ProcessResult r = ctl(all);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  HttpResult api(const std::string& method, const std::string& target, const json& body = nullptr) {
    return client().request(method, target, body.is_null() ? "" : body.dump(),
                            auth(body.is_null() ? "" : "application/json"));
  }
  std::vector<audit::AuditEntry> entries(std::string_view operation) {
    audit::AuditLog log(app_home() / "smime.db");
    audit::AuditQuery query;
    query.operation = std::string(operation);
    return log.list(query);
  }
};

TEST_F(FrontEndsTest, AKeyACertificateUsesIsNotDeletedAloneAndPrefixesWorkInBoth) {
  const std::string fingerprint = generate_org_key("both@example.org");
  const std::string key_id =
      json::parse(api("GET", "/api/v1/certificates/" + fingerprint).body)["token_key_id"];
  const std::string prefix = key_id.substr(0, 12);

  ProcessResult cli = ctl({"key", "delete", prefix});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("belongs to certificate " + fingerprint), std::string::npos) << cli.err;
  HttpResult http = api("DELETE", "/api/v1/keys/" + prefix);
  EXPECT_EQ(http.status, 409) << http.body;
  EXPECT_NE(http.body.find("belongs to certificate " + fingerprint), std::string::npos);

  // A spare key without a certificate goes by its prefix in both.
  const std::string spare =
      json::parse(api("POST", "/api/v1/keys", {{"algorithm", "ec-p256"}, {"label", "spare"}})
                      .body)["key"]["id"];
  EXPECT_EQ(api("DELETE", "/api/v1/keys/" + spare.substr(0, 10)).status, 204);
  const std::string other =
      ctl_json({"key", "generate", "--algorithm", "ec-p256", "--label", "other"})["key"]["id"];
  EXPECT_EQ(ctl({"key", "delete", other.substr(0, 10)}).exit_code, 0);
}

TEST_F(FrontEndsTest, SmimedsTlsKeyIsReservedInBoth) {
  // The key this smimed reserved (the token is the process's: earlier tests' smimeds made
  // other "smimed-tls" keys, not reserved in this home).
  std::string tls_key;
  for (const auto& [key, purpose] : appliance_->application().store().reserved_keys()) {
    if (purpose == "smimed's TLS key") tls_key = key;
  }
  ASSERT_FALSE(tls_key.empty());
  ASSERT_TRUE(key_store().find(tls_key).has_value());
  ProcessResult cli = ctl({"key", "delete", tls_key});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("smimed's TLS key"), std::string::npos) << cli.err;
  HttpResult http = api("DELETE", "/api/v1/keys/" + tls_key);
  EXPECT_EQ(http.status, 409);
  EXPECT_NE(http.body.find("smimed's TLS key"), std::string::npos) << http.body;
  EXPECT_TRUE(key_store().find(tls_key).has_value());
  EXPECT_EQ(client().request("GET", "/healthz").status, 200) << "new handshakes still work";
}

TEST_F(FrontEndsTest, AFailedChangeIsAuditedTheSameWay) {
  EXPECT_EQ(ctl({"group", "delete", "nobody"}).exit_code, 1);
  EXPECT_EQ(api("DELETE", "/api/v1/groups/nobody").status, 404);
  const auto failed = entries("group.delete");  // newest first
  ASSERT_EQ(failed.size(), 2u);
  for (const auto& entry : failed) {
    EXPECT_EQ(entry.event.status, audit::Status::failed);
    EXPECT_EQ(entry.event.detail, "group nobody: No group named nobody");
  }
  EXPECT_EQ(failed[1].event.actor, "smimectl");
  EXPECT_NE(failed[0].event.actor, "smimectl");
}

TEST_F(FrontEndsTest, GroupsCrlsAndApiTokensHaveOneShape) {
  const json cli_group =
      ctl_json({"group", "set", "support", "--email", "support@example.org", "--default", "sign"});
  const json api_group = json::parse(api("GET", "/api/v1/groups/support").body);
  EXPECT_EQ(cli_group, api_group);
  EXPECT_TRUE(keys_of(cli_group).count("created_at") && keys_of(cli_group).count("updated_at"));
  const json cli_policy =
      ctl_json({"group", "set", "support", "--email", "support@example.org", "--default", "sign",
                "--revocation", "hard", "--reject-sha1", "no"});
  EXPECT_EQ(cli_policy["revocation"], "hard");
  EXPECT_EQ(cli_policy["reject_sha1"], false);
  EXPECT_EQ(cli_policy, json::parse(api("GET", "/api/v1/groups/support").body));
  EXPECT_EQ(ctl_json({"group", "show", "support"}), cli_policy);

  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("Shapes CA"));
  const std::string ca_file = scratch_.file("ca.pem");
  write_file(ca_file, pem(ca.cert.get()));
  ASSERT_EQ(ctl({"cert", "import", ca_file}).exit_code, 0);
  const auto crl = issue_crl(ca, {}, 30, false);
  const std::string crl_file = scratch_.file("ca.crl");
  write_file(crl_file, std::string(crl.begin(), crl.end()));
  const json cli_crl = ctl_json({"crl", "import", crl_file});
  const json api_crls = json::parse(api("GET", "/api/v1/crls").body)["crls"];
  ASSERT_EQ(api_crls.size(), 1u);
  EXPECT_EQ(cli_crl, api_crls[0]);
  EXPECT_TRUE(keys_of(cli_crl).count("id") && keys_of(cli_crl).count("imported_at"));

  const json cli_token = ctl_json({"apitoken", "create", "--role", "auditor", "--name", "shapes"});
  const json api_token = json::parse(
      api("POST", "/api/v1/api-tokens", {{"name", "shapes2"}, {"role", "auditor"}}).body);
  EXPECT_EQ(keys_of(cli_token), keys_of(api_token));
  const json cli_list = ctl_json({"apitoken", "list"});
  const json api_list = json::parse(api("GET", "/api/v1/api-tokens").body)["tokens"];
  EXPECT_EQ(cli_list, api_list);
}

TEST_F(FrontEndsTest, AuditOperationNamesAreTheSameFromBoth) {
  ctl_json({"group", "set", "a", "--email", "a@example.org"});
  ASSERT_EQ(api("PUT", "/api/v1/groups/b", {{"email", "b@example.org"}}).status, 201);
  const auto set = entries("group.set");
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].event.operation, set[1].event.operation);
  EXPECT_EQ(set[0].event.direction, set[1].event.direction);
}

TEST_F(FrontEndsTest, OutFilesAreReplacedWithTheirOwnModeAndNeverThroughASymlink) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_AES_KEY_WRAP_PAD);  // the vehicle is a key export
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("out@example.org"));
  const std::string cert_file = scratch_.file("out.pem");
  const std::string key_file = scratch_.file("out.key");
  write_file(cert_file, pem(c.cert.get()));
  write_file(key_file, pem_pkcs8(c.key.get()));
  ASSERT_EQ(ctl({"cert", "import", cert_file}).exit_code, 0);
  ProcessResult key_import = ctl({"key", "import", key_file, "--exportable"});
  ASSERT_EQ(key_import.exit_code, 0) << key_import.err;
  const std::string fingerprint = certs::sha256_fingerprint(c.cert.get());
  const std::string passphrase = scratch_.file("pass");
  write_file(passphrase, "correct horse\n");
  ::chmod(passphrase.c_str(), 0600);

  // An existing 0644 file becomes a 0600 file with the key.
  const std::string existing = scratch_.file("existing.pem");
  write_file(existing, "old content\n");
  ::chmod(existing.c_str(), 0644);
  ProcessResult exported =
      ctl({"key", "export", fingerprint, "--passphrase-file", passphrase, "--out", existing});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(mode_of(existing) & 0777, 0600u);
  EXPECT_NE(read_file(existing).find("ENCRYPTED PRIVATE KEY"), std::string::npos);

  // A symlink planted at --out is replaced, its target left alone.
  const std::string target = scratch_.file("target");
  write_file(target, "do not touch\n");
  const std::string link = scratch_.file("link.pem");
  std::filesystem::create_symlink(target, link);
  ASSERT_EQ(
      ctl({"key", "export", fingerprint, "--passphrase-file", passphrase, "--out", link}).exit_code,
      0);
  EXPECT_EQ(read_file(target), "do not touch\n");
  EXPECT_TRUE(S_ISREG(mode_of(link)));
  EXPECT_EQ(mode_of(link) & 0777, 0600u);
  // The API hands the same key over only in its answer; both exports are on record.
  HttpResult api_export = api("POST", "/api/v1/certificates/" + fingerprint + "/private-key/export",
                              {{"passphrase", "correct horse"}});
  EXPECT_EQ(api_export.status, 200) << api_export.body;
  EXPECT_EQ(entries("key.export").size(), 3u);
}

// Not through the API (it has no token init): the home remembers the token it made.
TEST(FrontEndsTokenInitTest, AHomeRemembersTheTokenItsInitMade) {
  TempDir home;
  const std::filesystem::path softhsm = home.path() / "softhsm2.conf";
  auto ctl = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SMIME_TEST_SMIMECTL, "--home", home.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {{"SOFTHSM2_CONF", softhsm.string()}});
  };
  ProcessResult init = ctl({"token", "init", "--label", "custom"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  ProcessResult status = ctl({"--json", "token", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(json::parse(status.out)["token"]["label"], "custom");
  EXPECT_EQ(ctl({"key", "generate", "--algorithm", "ec-p256", "--label", "k"}).exit_code, 0);
}

}  // namespace
}  // namespace smime::test
