// smimectl cert / key import-export / group / crl / db commands end to end, including two
// processes importing into the same database at once.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "smime/certs/certificate_info.hpp"
#include "smime/service/records.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

class SmimectlStoreTest : public SoftHsmTest {
 protected:
  std::string file(const std::string& name, const std::string& content, unsigned mode = 0600) {
    const std::string path = scratch_.file(name);
    write_file(path, content);
    std::filesystem::permissions(path, std::filesystem::perms(mode));
    return path;
  }
  std::string file(const std::string& name, const std::vector<unsigned char>& content) {
    return file(name, std::string(content.begin(), content.end()));
  }
  json ok_json(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--json"};
    full.insert(full.end(), args.begin(), args.end());
    ProcessResult r = smimectl(full);
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return json::parse(r.out.empty() ? "null" : r.out);
  }
};

TEST_F(SmimectlStoreTest, BundleImportReportsEachCertificateAndListShowsThem) {
  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("CLI Root"));
  IssuedCertificate a = issue_certificate(CertificateSpec::smime("a@example.org").issued_by(ca));
  CertificateSpec bad = CertificateSpec::smime("b@example.org");
  bad.extended_key_usages = {"serverAuth"};
  IssuedCertificate b = issue_certificate(bad.issued_by(ca));
  const std::string bundle =
      file("bundle.pem", pem_bundle({ca.cert.get(), a.cert.get(), b.cert.get()}));

  ProcessResult r = smimectl({"--json", "cert", "import", bundle});
  EXPECT_EQ(r.exit_code, 1) << "a failed item makes the command fail";
  json report = json::parse(r.out);
  EXPECT_EQ(report["imported"].size(), 2u);
  ASSERT_EQ(report["errors"].size(), 1u);
  EXPECT_EQ(report["errors"][0]["rule"], "extended_key_usage");

  json listed = ok_json({"cert", "list", "--email", "A@example.org"});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["status"], "valid");
  EXPECT_EQ(listed[0]["has_private_key"], false);

  const std::string fp = certs::sha256_fingerprint(a.cert.get());
  json shown = ok_json({"cert", "show", fp.substr(0, 10)});
  EXPECT_EQ(shown["fingerprint"], fp);
  EXPECT_EQ(shown["chain_trusted"], true);

  ProcessResult garbage =
      smimectl({"cert", "import", file("garbage.bin", "\x01\x02\x03 not a cert")});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_NE(garbage.out.find("Accepted formats"), std::string::npos) << garbage.out;
}

TEST_F(SmimectlStoreTest, KeyImportExportAndDeleteWithKey) {
  SMIME_SKIP_UNLESS_TOKEN_OFFERS(CKM_AES_KEY_WRAP_PAD);
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("keys@example.org", "ec-p256"));
  const std::string fp = certs::sha256_fingerprint(c.cert.get());
  ok_json({"cert", "import", file("c.pem", pem(c.cert.get()))});
  const std::string pass = file("pass", "key passphrase\n");
  const std::string key = file("key.pem", pem_encrypted_pkcs8(c.key.get(), "key passphrase"));

  ProcessResult wrong =
      smimectl({"key", "import", key, "--passphrase-file", file("bad", "nope\n")});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("passphrase"), std::string::npos) << wrong.err;

  json imported =
      ok_json({"key", "import", "--cert", fp, key, "--passphrase-file", pass, "--exportable"});
  EXPECT_EQ(imported["exportable"], true);
  EXPECT_EQ(ok_json({"cert", "list"})[0]["has_private_key"], true);

  const std::string out = scratch_.file("exported.pem");
  ok_json({"key", "export", fp, "--passphrase-file", pass, "--out", out});
  ProcessResult check =
      run_process({"openssl", "pkey", "-in", out, "-passin", "pass:key passphrase", "-noout"});
  EXPECT_EQ(check.exit_code, 0) << check.err;

  ProcessResult pem_out = smimectl({"cert", "export", fp});
  EXPECT_EQ(pem_out.out, pem(c.cert.get()));

  json deleted = ok_json({"cert", "delete", fp, "--with-key"});
  EXPECT_EQ(deleted["key_deleted"], true);
  EXPECT_EQ(ok_json({"key", "list"}).size(), 0u);
  EXPECT_EQ(ok_json({"cert", "list"}).size(), 0u);
}

TEST_F(SmimectlStoreTest, NonExportableKeyExportIsRefused) {
  IssuedCertificate c = issue_certificate(CertificateSpec::smime("held@example.org"));
  const std::string fp = certs::sha256_fingerprint(c.cert.get());
  ok_json({"cert", "import", file("c.pem", pem(c.cert.get()))});
  ok_json({"key", "import", file("k.pem", pem_pkcs1(c.key.get()))});
  ProcessResult r = smimectl({"key", "export", fp, "--passphrase-file", file("p", "x\n")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("held in the token"), std::string::npos) << r.err;
}

TEST_F(SmimectlStoreTest, TrustAnchorsAreSetAtImportAndChangedAudited) {
  IssuedCertificate root = issue_certificate(CertificateSpec::authority("CLI Trust Root"));
  CertificateSpec middle = CertificateSpec::authority("CLI Trust Intermediate");
  IssuedCertificate issuing = issue_certificate(middle.issued_by(root));
  IssuedCertificate leaf =
      issue_certificate(CertificateSpec::smime("t@example.org").issued_by(issuing));
  // A chain file: the root is an anchor, the intermediate and the leaf are not.
  json report = ok_json(
      {"cert", "import",
       file("chain.pem", pem_bundle({leaf.cert.get(), issuing.cert.get(), root.cert.get()}))});
  ASSERT_EQ(report["imported"].size(), 3u);
  EXPECT_EQ(report["imported"][0]["trusted"], false);
  EXPECT_EQ(report["imported"][1]["trusted"], false);
  EXPECT_EQ(report["imported"][2]["trusted"], true);

  const std::string fp = certs::sha256_fingerprint(issuing.cert.get());
  EXPECT_EQ(ok_json({"cert", "show", fp})["trusted"], false);
  EXPECT_EQ(ok_json({"cert", "trust", fp})["trusted"], true);
  EXPECT_EQ(ok_json({"cert", "list", "--search", "CLI Trust Intermediate"})[0]["trusted"], true);
  EXPECT_EQ(ok_json({"cert", "trust", fp, "--no"})["trusted"], false);
  ProcessResult text = smimectl({"cert", "show", fp});
  EXPECT_NE(text.out.find("Trust anchor: no"), std::string::npos) << text.out;

  // --no-trust / --trust decide for every certificate of the file; not both.
  IssuedCertificate other = issue_certificate(CertificateSpec::authority("CLI Untrusted Root"));
  json untrusted = ok_json({"cert", "import", "--no-trust", file("o.pem", pem(other.cert.get()))});
  EXPECT_EQ(untrusted["imported"][0]["trusted"], false);
  EXPECT_EQ(
      smimectl({"cert", "import", "--trust", "--no-trust", file("o2.pem", pem(other.cert.get()))})
          .exit_code,
      2);

  json log = ok_json({"log", "list", "--operation", "certificate.trust"});
  ASSERT_EQ(log.size(), 2u);
}

TEST_F(SmimectlStoreTest, GroupsCrlsAndBackup) {
  json g =
      ok_json({"group", "set", "support", "--email", "support@example.org", "--default", "sign"});
  EXPECT_EQ(g["default"], "sign");
  ok_json({"group", "set", "support", "--email", "help@example.org"});
  json groups = ok_json({"group", "list"});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["email"], "help@example.org");
  EXPECT_EQ(groups[0]["default"], "sign-encrypt");
  EXPECT_EQ(
      smimectl({"group", "set", "x", "--email", "x@example.org", "--default", "bogus"}).exit_code,
      2);
  // The group's own verification policy: set, kept by a change that does not name it, shown.
  json strict = ok_json({"group", "set", "support", "--email", "help@example.org", "--revocation",
                         "hard", "--reject-sha1", "yes"});
  EXPECT_EQ(strict["revocation"], "hard");
  EXPECT_EQ(strict["reject_sha1"], true);
  ok_json({"group", "set", "support", "--email", "help@example.org", "--reject-sha1", "appliance"});
  json shown = ok_json({"group", "show", "support"});
  EXPECT_EQ(shown["revocation"], "hard");
  EXPECT_TRUE(shown["reject_sha1"].is_null());
  EXPECT_EQ(
      smimectl({"group", "set", "support", "--email", "help@example.org", "--revocation", "medium"})
          .exit_code,
      2);
  ok_json({"group", "delete", "support"});
  EXPECT_EQ(smimectl({"group", "delete", "support"}).exit_code, 1);

  IssuedCertificate ca = issue_certificate(CertificateSpec::authority("CLI CRL CA"));
  IssuedCertificate leaf =
      issue_certificate(CertificateSpec::smime("rev@example.org").issued_by(ca));
  ok_json({"cert", "import", file("b.pem", pem_bundle({ca.cert.get(), leaf.cert.get()}))});
  ok_json({"crl", "import", file("ca.crl", issue_crl(ca, {{leaf.cert.get(), 1}}, 30, false))});
  EXPECT_EQ(ok_json({"crl", "list"}).size(), 1u);
  EXPECT_EQ(ok_json({"cert", "list", "--email", "rev@example.org"})[0]["status"], "revoked");

  const std::string backup = scratch_.file("backup.db");
  ok_json({"db", "backup", backup});
  ProcessResult count = run_process({"sqlite3", backup, "SELECT count(*) FROM certificates;"});
  EXPECT_EQ(count.out, "2\n") << count.err;
  EXPECT_EQ(smimectl({"db", "backup", backup}).exit_code, 1) << "never overwrites";
}

TEST_F(SmimectlStoreTest, TwoProcessesImportingAtOnceLoseNothing) {
  // Two bundles of distinct certificates plus one certificate present in both.
  IssuedCertificate shared =
      issue_certificate(CertificateSpec::smime("shared@example.org", "ec-p256"));
  std::vector<IssuedCertificate> owned[2];
  std::vector<const X509*> bundles[2];
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 15; ++i) {
      owned[p].push_back(issue_certificate(CertificateSpec::smime(
          "p" + std::to_string(p) + "-" + std::to_string(i) + "@example.org", "ec-p256")));
      bundles[p].push_back(owned[p].back().cert.get());
    }
    bundles[p].push_back(shared.cert.get());
  }
  const std::string first = file("one.pem", pem_bundle(bundles[0]));
  const std::string second = file("two.pem", pem_bundle(bundles[1]));
  smimectl({"cert", "list"});  // database created before the race

  std::vector<pid_t> children;
  for (const std::string& bundle : {first, second}) {
    pid_t pid = fork();
    if (pid == 0) {
      ProcessResult r = smimectl({"--json", "cert", "import", bundle});
      _exit(r.exit_code);
    }
    children.push_back(pid);
  }
  int failures = 0;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    failures += WEXITSTATUS(status) != 0 ? 1 : 0;
  }
  EXPECT_EQ(failures, 1) << "exactly one process finds the shared certificate taken";
  json all = ok_json({"cert", "list"});
  EXPECT_EQ(all.size(), 31u);
  ProcessResult integrity =
      run_process({"sqlite3", (home() / "smime.db").string(), "PRAGMA integrity_check;"});
  EXPECT_EQ(integrity.out, "ok\n");
}

// Issue 11 item 12: a row stored before import refused control characters (or written by
// another tool) must not reach the terminal raw through cert list / cert show.
TEST_F(SmimectlStoreTest, CertificateTextIsEscapedForTheTerminal) {
  const std::filesystem::path dir = scratch_.path() / "escape-home";
  std::filesystem::create_directories(dir);
  CertificateSpec spec = CertificateSpec::smime("x@example.com");
  spec.common_name = "Evil \x1b]0;pwned\x07 CA";
  IssuedCertificate issued = issue_certificate(spec);
  store::CertificateRecord record =
      service::to_record(certs::describe_certificate(issued.cert.get()));
  record.emails = {"evil\x1b[2J\r\n@example.com"};
  record.subject += "\x1b[31m";
  {
    auto store = store::open_sqlite_store(dir / "smime.db");
    store->insert_certificate(record);
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"cert", "list"}, {"cert", "show", record.sha256}}) {
    ProcessResult r = smimectl_in(dir, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("evil\\x1b[2j\\x0d\\x0a@example.com"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace smime::test
