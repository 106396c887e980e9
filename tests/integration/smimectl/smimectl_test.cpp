// smimectl end to end (SPEC §13): token init/status, key generate/list/delete, --json output
// and the exit codes 0 / 1 (operation failed, message on stderr) / 2 (usage).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

class SmimectlTest : public SoftHsmTest {
 protected:
  // A home directory of its own, with no token yet.
  std::filesystem::path fresh_home() const { return scratch_.path() / "home"; }
  ProcessResult ctl(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {}) const {
    std::map<std::string, std::string> full = {{"SMIME_TOKEN_LABEL", "smime"}};
    for (const auto& [k, v] : env) full[k] = v;
    return smimectl_in(fresh_home(), args, full);
  }
};

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

TEST_F(SmimectlTest, TheIssuesAcceptanceCeremony) {
  // smimectl --home D token init && smimectl --home D key generate --algorithm ec-p256
  //   --label org --email support@example.org --csr org.csr
  ProcessResult init = ctl({"token", "init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(mode_of(fresh_home() / "user.pin"), 0600u);
  EXPECT_EQ(mode_of(fresh_home() / "so.pin"), 0600u);

  const std::string csr = scratch_.file("org.csr");
  ProcessResult gen = ctl({"--json", "key", "generate", "--algorithm", "ec-p256", "--label", "org",
                           "--email", "support@example.org", "--csr", csr});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  // The same shape as the API's answer to POST /api/v1/keys: the key, then the CSR.
  const json generated = json::parse(gen.out);
  const json key = generated["key"];
  EXPECT_FALSE(generated["csr_pem"].get<std::string>().empty());
  EXPECT_EQ(key["label"], "org");
  EXPECT_EQ(key["sensitive"], true);
  EXPECT_EQ(key["extractable"], false);
  EXPECT_EQ(key["curve"], "P-256");
  ProcessResult verify = run_process({"openssl", "req", "-verify", "-noout", "-in", csr});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;

  // The key stays non-extractable in the token, as listed afterwards.
  ProcessResult list = ctl({"--json", "key", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json keys = json::parse(list.out);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]["id"], key["id"]);
  EXPECT_EQ(keys[0]["extractable"], false);
  EXPECT_EQ(keys[0]["never_extractable"], true);

  // The PIN never appears in any output.
  const std::string pin = read_file((fresh_home() / "user.pin").string()).substr(0, 24);
  for (const auto& out : {init.out, init.err, gen.out, gen.err, list.out}) {
    EXPECT_EQ(out.find(pin), std::string::npos);
  }
}

TEST_F(SmimectlTest, StatusReportsTokenLoginKeysAndCompletionNeeds) {
  ASSERT_EQ(ctl({"token", "init", "--label", "status-tok"}).exit_code, 0);
  const std::map<std::string, std::string> env = {{"SMIME_TOKEN_LABEL", "status-tok"}};
  ProcessResult status = ctl({"--json", "token", "status", "--probe"}, env);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json s = json::parse(status.out);
  EXPECT_EQ(s["token"]["label"], "status-tok");
  EXPECT_EQ(s["logged_in"], true);
  EXPECT_EQ(s["key_count"], 0);
  EXPECT_EQ(s["capabilities"]["software_completion"]["rsa_oaep_sha256"], true);
  EXPECT_EQ(s["capabilities"]["software_completion"]["ecdh_kdf"], true);

  ProcessResult human = ctl({"token", "status"}, env);
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("Login:    ok"), std::string::npos) << human.out;
}

TEST_F(SmimectlTest, SelfSignedKeyListAndDelete) {
  ASSERT_EQ(ctl({"token", "init"}).exit_code, 0);
  const std::string cert = scratch_.file("demo.pem");
  ProcessResult gen =
      ctl({"--json", "key", "generate", "--algorithm", "rsa-2048", "--label", "demo", "--email",
           "demo@example.org", "--self-signed", "--days", "30", "--out", cert});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ProcessResult verify =
      run_process({"openssl", "verify", "-purpose", "smimesign", "-CAfile", cert, cert});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  const std::string id = json::parse(gen.out)["key"]["id"];

  ProcessResult list = ctl({"key", "list"});
  EXPECT_NE(list.out.find(id), std::string::npos);
  EXPECT_NE(list.out.find("demo"), std::string::npos);

  // The self-signed certificate is stored with the key: the key alone is not deleted (the
  // certificate would claim a key that is gone), found by its id prefix all the same.
  const std::string fingerprint = json::parse(gen.out)["certificate_fingerprint"];
  ProcessResult refused = ctl({"key", "delete", id.substr(0, 10)});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find(fingerprint), std::string::npos) << refused.err;
  ProcessResult del = ctl({"cert", "delete", fingerprint, "--with-key"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(json::parse(ctl({"--json", "key", "list"}).out).size(), 0u);
  ProcessResult again = ctl({"key", "delete", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("No key"), std::string::npos);
}

TEST_F(SmimectlTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(ctl({}).exit_code, 2);
  EXPECT_EQ(ctl({"token", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(ctl({"key", "generate", "--label", "x"}).exit_code, 2) << "missing --algorithm";
  ProcessResult bad_alg = ctl({"key", "generate", "--algorithm", "dsa-1024", "--label", "x"});
  EXPECT_EQ(bad_alg.exit_code, 2);
  EXPECT_NE(bad_alg.err.find("ec-p256"), std::string::npos);
  EXPECT_EQ(ctl({"key", "generate", "--algorithm", "ec-p256", "--label", "x", "--csr", "a.csr"})
                .exit_code,
            2)
      << "a CSR needs an email";
  EXPECT_EQ(ctl({"key", "generate", "--algorithm", "ec-p256", "--label", "x", "--self-signed",
                 "--email", "a@b.example", "--days", "0"})
                .exit_code,
            2);
}

TEST_F(SmimectlTest, FailuresExitWithOneAndAClearMessage) {
  ASSERT_EQ(ctl({"token", "init"}).exit_code, 0);
  ProcessResult twice = ctl({"token", "init"});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_NE(twice.err.find("already exists"), std::string::npos) << twice.err;

  ProcessResult unknown = ctl({"key", "list"}, {{"SMIME_TOKEN_LABEL", "nope"}});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("No token labelled 'nope'"), std::string::npos) << unknown.err;

  ProcessResult missing = ctl({"key", "list"}, {{"SMIME_PKCS11_MODULE", "/nonexistent/mod.so"}});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/nonexistent/mod.so"), std::string::npos);

  std::filesystem::permissions(fresh_home() / "user.pin", std::filesystem::perms(0644));
  ProcessResult loose = ctl({"--json", "key", "list"});
  EXPECT_EQ(loose.exit_code, 1);
  EXPECT_NE(loose.err.find((fresh_home() / "user.pin").string()), std::string::npos);
  EXPECT_EQ(json::parse(loose.out)["error"]["code"], "pin_source");
  std::filesystem::permissions(fresh_home() / "user.pin", std::filesystem::perms(0600));

  const std::string wrong = scratch_.file("wrong.pin");
  write_file(wrong, "000000\n");
  std::filesystem::permissions(wrong, std::filesystem::perms(0600));
  ProcessResult bad_pin = ctl({"key", "list"}, {{"SMIME_TOKEN_PIN", "file:" + wrong}});
  EXPECT_EQ(bad_pin.exit_code, 1);
  EXPECT_NE(bad_pin.err.find("wrong PIN"), std::string::npos) << bad_pin.err;
}

TEST_F(SmimectlTest, UninitialisedTokenIsReported) {
  // A SoftHSM store with no token at all: only the free, uninitialised slot.
  std::filesystem::create_directories(fresh_home() / "tokens");
  write_file((fresh_home() / "softhsm2.conf").string(),
             "directories.tokendir = " + (fresh_home() / "tokens").string() +
                 "\nobjectstore.backend = file\nlog.level = ERROR\n");
  ProcessResult status = ctl({"token", "status"});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_NE(status.err.find("not initialised"), std::string::npos) << status.err;
}

}  // namespace
}  // namespace smime::test
