// Thunderbird's own S/MIME test messages (issue 17 item 3), read from the shared corpus
// (SMIME_TEST_CORPUS, default ../shared/corpus next to the repository; nothing of it is copied
// into the repository). Through smimectl and a real SoftHSM2 token: TestCA is the anchor,
// Bob's and Fran's PKCS#12 keys import under the legacy-certificate policy (and are refused
// naming the rule without it), and every message gives the result its row of
// tests/interop/thunderbird_expectations.tsv names. THUNDERBIRD.md says where and why the
// appliance decides differently from Thunderbird.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::map<std::string, std::string> kLegacy = {{"SMIME_CERTIFICATES_LEGACY", "true"}};
const std::map<std::string, std::string> kStrict = {{"SMIME_CERTIFICATES_LEGACY", "false"}};

fs::path corpus_root() {
  const char* env = std::getenv("SMIME_TEST_CORPUS");
  return (env != nullptr && *env != '\0') ? fs::path(env) : fs::path(SMIME_TEST_CORPUS_DEFAULT);
}

fs::path thunderbird() {
  return corpus_root() / "thunderbird";
}

#define SKIP_WITHOUT_CORPUS()                                                                   \
  if (!fs::exists(thunderbird() / "mailnews/test/data/smime/TestCA.pem"))                       \
  GTEST_SKIP() << "The Thunderbird corpus is not at " << thunderbird().string()                 \
               << " (set SMIME_TEST_CORPUS to the directory that holds thunderbird/); nothing " \
                  "was checked"

const fs::path kSmime = "mailnews/test/data/smime";
const fs::path kInterop = "mailnews/test/data/smime-interop";

struct Expectation {
  std::string file;       // relative to thunderbird/
  std::string decrypted;  // yes, no, - (not encrypted)
  std::string layers;     // the engine's layers, outermost first, joined with '+'; - for none
  std::string signature;  // the result's signature status
  std::string signer;     // an email of the reported signer, - for none
};

std::vector<Expectation> expectations() {
  std::ifstream in(SMIME_TEST_THUNDERBIRD_TABLE);
  std::vector<Expectation> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Expectation e;
    std::getline(fields, e.file, '\t');
    std::getline(fields, e.decrypted, '\t');
    std::getline(fields, e.layers, '\t');
    std::getline(fields, e.signature, '\t');
    std::getline(fields, e.signer, '\t');
    rows.push_back(e);
  }
  return rows;
}

// Every message of the corpus: *.eml, and the OpenSSL-made *.env files that are messages (the
// NSS *.env files are bare DER inputs of the generator, not mail).
std::set<std::string> corpus_messages() {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(thunderbird())) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".eml" && ext != ".env") continue;
    if (ext == ".env") {
      std::ifstream in(entry.path(), std::ios::binary);
      std::string first;
      std::getline(in, first);
      if (first.find(':') == std::string::npos || first[0] == '0') continue;
    }
    files.insert(fs::relative(entry.path(), thunderbird()).string());
  }
  return files;
}

class ThunderbirdCorpusTest : public SoftHsmTest {
 protected:
  void SetUp() override {
    passphrase_ = scratch_.file("nss.pass");
    write_file(passphrase_, "nss");
    fs::permissions(passphrase_, fs::perms::owner_read | fs::perms::owner_write);
  }
  ProcessResult import(const fs::path& file, const std::map<std::string, std::string>& env) {
    return smimectl({"--json", "cert", "import", (thunderbird() / file).string(),
                     "--passphrase-file", passphrase_},
                    env);
  }
  void import_anchor_and_keys() {
    const ProcessResult ca = import(kSmime / "TestCA.pem", kStrict);
    ASSERT_EQ(ca.exit_code, 0) << ca.err;
    for (const fs::path& p12 :
         {kSmime / "Bob.p12", kInterop / "Fran.p12", kInterop / "Fran-ec.p12"}) {
      const ProcessResult run = import(p12, kLegacy);
      ASSERT_EQ(run.exit_code, 0) << p12 << ": " << run.err << run.out;
    }
  }
  std::string passphrase_;
};

TEST_F(ThunderbirdCorpusTest, KeysAreRefusedNamingTheRuleWithoutTheLegacyPolicy) {
  SKIP_WITHOUT_CORPUS();
  ASSERT_EQ(import(kSmime / "TestCA.pem", kStrict).exit_code, 0);
  const std::map<std::string, std::string> rules = {
      {(kSmime / "Bob.p12").string(), "subject_alt_name_email"},
      {(kInterop / "Fran.p12").string(), "key_usage"},
      {(kInterop / "Fran-ec.p12").string(), "key_usage"}};
  for (const auto& [file, rule] : rules) {
    SCOPED_TRACE(file);
    const ProcessResult run = import(file, kStrict);
    EXPECT_EQ(run.exit_code, 1) << run.err;
    const json report = json::parse(run.out);
    EXPECT_TRUE(report["imported"].empty()) << run.out;
    ASSERT_FALSE(report["errors"].empty());
    EXPECT_EQ(report["errors"][0]["rule"], rule) << run.out;
    EXPECT_NE(report["errors"][0]["message"].get<std::string>().find("legacy = true"),
              std::string::npos);
  }
  // Nothing but the anchor was stored, and no key went into the token.
  const json list = json::parse(smimectl({"--json", "cert", "list"}).out);
  EXPECT_EQ(list.size(), 1u);
}

TEST_F(ThunderbirdCorpusTest, KeysImportUnderTheLegacyPolicyMarkedAndTheCaIsPresent) {
  SKIP_WITHOUT_CORPUS();
  ASSERT_EQ(import(kSmime / "TestCA.pem", kStrict).exit_code, 0);
  // The policy from the configuration file this time (the corpus test uses the environment).
  const std::string config = scratch_.file("smime.toml");
  write_file(config, "[certificates]\nlegacy = true\n");
  const ProcessResult bob =
      smimectl({"--config", config, "--json", "cert", "import",
                (thunderbird() / kSmime / "Bob.p12").string(), "--passphrase-file", passphrase_});
  ASSERT_EQ(bob.exit_code, 0) << bob.err << bob.out;
  const json report = json::parse(bob.out);
  ASSERT_EQ(report["imported"].size(), 1u) << bob.out;
  EXPECT_TRUE(report["imported"][0]["key_imported"].get<bool>());
  // Bob's certificate has neither an rfc822Name nor a Key Usage extension.
  const json bob_rules = json::array({"subject_alt_name_email", "key_usage"});
  EXPECT_EQ(report["imported"][0]["legacy_rules"], bob_rules);
  ASSERT_EQ(report["present"].size(), 1u);  // the CA, already stored: not a failure
  EXPECT_TRUE(report["present"][0]["is_ca"].get<bool>());
  EXPECT_TRUE(report["errors"].empty());

  for (const fs::path& p12 : {kInterop / "Fran.p12", kInterop / "Fran-ec.p12"}) {
    const ProcessResult run = import(p12, kLegacy);
    ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
    const json fran = json::parse(run.out);
    EXPECT_EQ(fran["imported"][0]["legacy_rules"], json::array({"key_usage"}));
    EXPECT_TRUE(fran["imported"][0]["key_imported"].get<bool>());
  }
  const ProcessResult list = smimectl({"cert", "list", "--email", "bob@example.com"});
  EXPECT_NE(list.out.find("[legacy]"), std::string::npos) << list.out;
  const std::string fingerprint = report["imported"][0]["fingerprint"];
  const json show = json::parse(smimectl({"--json", "cert", "show", fingerprint}).out);
  EXPECT_EQ(show["legacy"], true);
  EXPECT_EQ(show["legacy_rules"], bob_rules);
}

TEST_F(ThunderbirdCorpusTest, EveryMessageMatchesTheExpectationsTable) {
  SKIP_WITHOUT_CORPUS();
  import_anchor_and_keys();
  const std::vector<Expectation> table = expectations();
  ASSERT_FALSE(table.empty()) << SMIME_TEST_THUNDERBIRD_TABLE;
  std::set<std::string> listed;
  std::size_t encrypted = 0;
  for (const Expectation& row : table) {
    SCOPED_TRACE(row.file);
    listed.insert(row.file);
    const std::string out = scratch_.file("clear.eml");
    const ProcessResult run = smimectl({"--json", "message", "incoming", "--in",
                                        (thunderbird() / row.file).string(), "--out", out});
    ASSERT_FALSE(run.out.empty()) << run.err;
    const json r = json::parse(run.out);
    std::string layers;
    for (const auto& layer : r["layers"])
      layers += (layers.empty() ? "" : "+") + layer.get<std::string>();
    const std::string decrypted =
        !r["encrypted"].get<bool>() ? "-" : (r["decrypted"].get<bool>() ? "yes" : "no");
    std::string signer = "-";
    if (r["signature"]["signer"].is_object() && !r["signature"]["signer"]["emails"].empty()) {
      signer = r["signature"]["signer"]["emails"][0];
    }
    EXPECT_EQ(decrypted, row.decrypted) << run.out;
    EXPECT_EQ(layers.empty() ? "-" : layers, row.layers) << run.out;
    EXPECT_EQ(r["signature"]["status"].get<std::string>(), row.signature) << run.out;
    EXPECT_EQ(signer, row.signer) << run.out;
    if (row.decrypted == "yes") {
      ++encrypted;
      if (row.file.find("fran-") != std::string::npos) {
        EXPECT_NE(read_file(out).find("This is a test message to Fran."), std::string::npos);
      }
    }
  }
  // The table covers the corpus exactly: a message added to it needs its row.
  EXPECT_EQ(listed, corpus_messages());
  EXPECT_GT(encrypted, 0u);
}

}  // namespace
}  // namespace smime::test
