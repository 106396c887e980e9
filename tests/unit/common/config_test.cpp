#include "smime/common/config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "smime/common/error.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v :
         {"SMIME_HOME", "SMIME_PKCS11_MODULE", "SMIME_TOKEN_LABEL", "SMIME_TOKEN_SERIAL",
          "SMIME_TOKEN_PIN", "SMIME_LOG_LEVEL", "SMIME_STORE_URL", "SMIME_CERTIFICATES_LEGACY",
          "SMIME_CERTIFICATES_HARVEST"}) {
      ::unsetenv(v);
    }
  }
  test::TempDir dir_;
};

TEST_F(ConfigTest, DefaultsWorkWithoutAFile) {
  AppConfig c = load_config(dir_.path(), std::nullopt);
  EXPECT_EQ(c.token.module, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(c.token.label, "smime");
  EXPECT_EQ(c.token.pin, "file:" + (dir_.path() / "user.pin").string());
  EXPECT_EQ(c.token.softhsm_conf, (dir_.path() / "softhsm2.conf").string());
  EXPECT_TRUE(c.config_file.empty());
  EXPECT_FALSE(c.store.postgres()) << "the embedded SQLite file is the default";
  EXPECT_EQ(c.store.pool_size, 8);
}

TEST_F(ConfigTest, CertificateHarvestingIsOffByDefaultThenFileThenEnvironment) {
  EXPECT_FALSE(load_config(dir_.path(), std::nullopt).certificates.harvest);
  test::write_file(dir_.file("smime.toml"), "[certificates]\nharvest = true\n");
  const AppConfig on = load_config(dir_.path(), std::nullopt);
  EXPECT_TRUE(on.certificates.harvest);
  EXPECT_FALSE(on.certificates.legacy) << "one policy does not turn on the other";
  ::setenv("SMIME_CERTIFICATES_HARVEST", "false", 1);
  EXPECT_FALSE(load_config(dir_.path(), std::nullopt).certificates.harvest);
  ::setenv("SMIME_CERTIFICATES_HARVEST", "maybe", 1);
  EXPECT_THROW(load_config(dir_.path(), std::nullopt), Error);
  ::unsetenv("SMIME_CERTIFICATES_HARVEST");
  test::write_file(dir_.file("smime.toml"), "[certificates]\nharvest = \"yes\"\n");
  EXPECT_THROW(load_config(dir_.path(), std::nullopt), Error);
}

TEST_F(ConfigTest, EncryptionCipherAndKeyTransportAreAutoByDefaultAndChecked) {
  const AppConfig defaults = load_config(dir_.path(), std::nullopt);
  EXPECT_EQ(defaults.encryption.cipher, "auto");
  EXPECT_EQ(defaults.encryption.key_transport, "auto");
  test::write_file(dir_.file("smime.toml"),
                   "[encryption]\ncipher = \"aes-256-gcm\"\nkey_transport = \"rsa-oaep-sha256\"\n");
  const AppConfig forced = load_config(dir_.path(), std::nullopt);
  EXPECT_EQ(forced.encryption.cipher, "aes-256-gcm");
  EXPECT_EQ(forced.encryption.key_transport, "rsa-oaep-sha256");
  test::write_file(dir_.file("smime.toml"), "[encryption]\ncipher = \"3des\"\n");
  try {
    load_config(dir_.path(), std::nullopt);
    ADD_FAILURE() << "an unknown cipher was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "[encryption] cipher must be one of auto, aes-256-cbc, aes-128-gcm, aes-256-gcm"),
              std::string::npos)
        << e.what();
  }
  test::write_file(dir_.file("smime.toml"), "[encryption]\nkey_transport = 1\n");
  EXPECT_THROW(load_config(dir_.path(), std::nullopt), Error);
}

TEST_F(ConfigTest, LegacyCertificatePolicyIsOffByDefaultThenFileThenEnvironment) {
  EXPECT_FALSE(load_config(dir_.path(), std::nullopt).certificates.legacy);
  test::write_file(dir_.file("smime.toml"), "[certificates]\nlegacy = true\n");
  EXPECT_TRUE(load_config(dir_.path(), std::nullopt).certificates.legacy);
  ::setenv("SMIME_CERTIFICATES_LEGACY", "false", 1);
  EXPECT_FALSE(load_config(dir_.path(), std::nullopt).certificates.legacy);
  ::setenv("SMIME_CERTIFICATES_LEGACY", "maybe", 1);
  EXPECT_THROW(load_config(dir_.path(), std::nullopt), Error);
  ::unsetenv("SMIME_CERTIFICATES_LEGACY");
  test::write_file(dir_.file("smime.toml"), "[certificates]\nlegacy = \"yes\"\n");
  try {
    load_config(dir_.path(), std::nullopt);
    ADD_FAILURE() << "a string is not a boolean";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'legacy' must be true or false"), std::string::npos);
  }
}

TEST_F(ConfigTest, StoreUrlFromFileThenEnvironment) {
  test::write_file(dir_.file("smime.toml"),
                   "[store]\nurl = \"postgresql:///smime?host=/run/pg\"\npool_size = 4\n");
  AppConfig c = load_config(dir_.path(), std::nullopt);
  EXPECT_TRUE(c.store.postgres());
  EXPECT_EQ(c.store.url, "postgresql:///smime?host=/run/pg");
  EXPECT_EQ(c.store.pool_size, 4);
  ::setenv("SMIME_STORE_URL", "postgres://db.internal/appliance", 1);
  EXPECT_EQ(load_config(dir_.path(), std::nullopt).store.url, "postgres://db.internal/appliance");
}

TEST_F(ConfigTest, VerificationPolicyFromTheFile) {
  AppConfig defaults = load_config(dir_.path(), std::nullopt);
  EXPECT_FALSE(defaults.verification.reject_sha1);
  EXPECT_FALSE(defaults.verification.revocation_hard) << "soft by default";
  EXPECT_FALSE(defaults.verification.leaf_at_signing_time) << "now by default";
  test::write_file(dir_.file("smime.toml"),
                   "[verification]\nreject_sha1 = true\nrevocation = \"hard\"\n"
                   "leaf_validity = \"signing_time\"\n");
  AppConfig c = load_config(dir_.path(), std::nullopt);
  EXPECT_TRUE(c.verification.reject_sha1);
  EXPECT_TRUE(c.verification.revocation_hard);
  EXPECT_TRUE(c.verification.leaf_at_signing_time);
  for (const char* bad :
       {"[verification]\nreject_sha1 = \"yes\"\n", "[verification]\nrevocation = \"strict\"\n",
        "[verification]\nleaf_validity = \"message_date\"\n"}) {
    test::write_file(dir_.file("smime.toml"), bad);
    try {
      load_config(dir_.path(), std::nullopt);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input);
      EXPECT_NE(std::string(e.what()).find("[verification]"), std::string::npos) << e.what();
    }
  }
}

TEST_F(ConfigTest, OnlineRevocationSettingsFromTheFile) {
  AppConfig defaults = load_config(dir_.path(), std::nullopt);
  EXPECT_TRUE(defaults.revocation.fetch);
  EXPECT_TRUE(defaults.revocation.ocsp);
  EXPECT_EQ(defaults.revocation.refresh_margin_s, 3600);
  EXPECT_EQ(defaults.revocation.timeout_ms, 5000);
  EXPECT_EQ(defaults.revocation.max_crl_bytes, 20 * 1024 * 1024);
  test::write_file(dir_.file("smime.toml"),
                   "[revocation]\nfetch = false\nocsp = false\nrefresh_margin_s = 7200\n"
                   "refresh_interval_s = 30\ntimeout_ms = 2000\nmax_crl_bytes = 1048576\n"
                   "failure_backoff_s = 10\nmax_backoff_s = 600\n");
  AppConfig c = load_config(dir_.path(), std::nullopt);
  EXPECT_FALSE(c.revocation.fetch);
  EXPECT_FALSE(c.revocation.ocsp);
  EXPECT_EQ(c.revocation.refresh_margin_s, 7200);
  EXPECT_EQ(c.revocation.refresh_interval_s, 30);
  EXPECT_EQ(c.revocation.timeout_ms, 2000);
  EXPECT_EQ(c.revocation.max_crl_bytes, 1048576);
  EXPECT_EQ(c.revocation.failure_backoff_s, 10);
  EXPECT_EQ(c.revocation.max_backoff_s, 600);
  test::write_file(dir_.file("smime.toml"), "[revocation]\ntimeout_ms = 0\n");
  try {
    load_config(dir_.path(), std::nullopt);
    FAIL() << "a timeout of 0 was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_NE(std::string(e.what()).find("[revocation] timeout_ms"), std::string::npos) << e.what();
  }
}

TEST_F(ConfigTest, AStoreUrlThatIsNotPostgresqlIsRefused) {
  test::write_file(dir_.file("smime.toml"), "[store]\nurl = \"mysql://db/smime\"\n");
  try {
    load_config(dir_.path(), std::nullopt);
    FAIL() << "a mistyped URL must not fall back to the SQLite file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_NE(std::string(e.what()).find("[store] url"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("smime.toml"), std::string::npos) << e.what();
  }
  test::write_file(dir_.file("smime.toml"), "[store]\npool_size = 0\n");
  EXPECT_THROW(load_config(dir_.path(), std::nullopt), Error);
}

TEST_F(ConfigTest, HomeFromFlagThenEnvironmentThenVar) {
  EXPECT_EQ(resolve_home(std::string("/srv/smime")), "/srv/smime");
  ::setenv("SMIME_HOME", "/opt/smime", 1);
  EXPECT_EQ(resolve_home(std::nullopt), "/opt/smime");
  EXPECT_EQ(resolve_home(std::string("/srv/smime")), "/srv/smime");
  ::unsetenv("SMIME_HOME");
  EXPECT_EQ(resolve_home(std::nullopt), std::filesystem::current_path() / "var");
}

TEST_F(ConfigTest, FileThenEnvironmentOverrides) {
  test::write_file(
      dir_.file("smime.toml"),
      "[token]\nmodule = \"/usr/lib/vendor/pkcs11.so\"\nlabel = \"Org HSM\"\n"
      "pin = \"credential:hsm-pin\"\nreinit_interval_ms = 250\nmax_sessions = 6\n"
      "session_wait_ms = 1500\nrecycle_after_derivations = 0\n[log]\nlevel = \"info\"\n");
  AppConfig c = load_config(dir_.path(), std::nullopt);
  EXPECT_EQ(c.config_file, dir_.path() / "smime.toml");
  EXPECT_EQ(c.token.module, "/usr/lib/vendor/pkcs11.so");
  EXPECT_EQ(c.token.label, "Org HSM");
  EXPECT_EQ(c.token.pin, "credential:hsm-pin");
  EXPECT_EQ(c.token.reinit_interval_ms, 250);
  EXPECT_EQ(c.token.max_sessions, 6);
  EXPECT_EQ(c.token.session_wait_ms, 1500);
  EXPECT_EQ(c.token.recycle_after_derivations, 0);
  EXPECT_EQ(c.log_level, "info");

  ::setenv("SMIME_TOKEN_SERIAL", "abc123", 1);
  ::setenv("SMIME_TOKEN_PIN", "env:HSM_PIN", 1);
  AppConfig o = load_config(dir_.path(), std::nullopt);
  EXPECT_EQ(o.token.serial, "abc123");
  EXPECT_TRUE(o.token.label.empty()) << "a serial from the environment selects by serial";
  EXPECT_EQ(o.token.pin, "env:HSM_PIN");
}

TEST_F(ConfigTest, BadFilesAreNamed) {
  test::write_file(dir_.file("bad.toml"), "[token\nmodule = 3\n");
  try {
    load_config(dir_.path(), dir_.path() / "bad.toml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_NE(std::string(e.what()).find("bad.toml"), std::string::npos);
  }
  test::write_file(dir_.file("typed.toml"), "[token]\nmodule = 3\n");
  try {
    load_config(dir_.path(), dir_.path() / "typed.toml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'module' must be a string"), std::string::npos);
  }
  EXPECT_THROW(load_config(dir_.path(), dir_.path() / "absent.toml"), Error);
  test::write_file(dir_.file("sessions.toml"), "[token]\nmax_sessions = 0\n");
  try {
    load_config(dir_.path(), dir_.path() / "sessions.toml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("max_sessions must be an integer from 1 to 1024"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace smime
