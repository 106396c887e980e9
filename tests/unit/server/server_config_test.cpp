// The [server] table of smime.toml and its environment overrides (read by the server library,
// never by smime_common).
#include <gtest/gtest.h>
#include <stdlib.h>

#include "smime/common/config.hpp"
#include "smime/common/error.hpp"
#include "smime/server/https_server.hpp"
#include "smime/server/server_settings.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime {
namespace {

using server::load_server_settings;
using server::ServerSettings;

class ServerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("SMIME_LISTEN_ADDRESS");
    ::unsetenv("SMIME_LISTEN_PORT");
  }
  void TearDown() override { SetUp(); }
  ServerSettings load() { return load_server_settings(load_config(dir_.path(), std::nullopt)); }
  ServerSettings with(const std::string& toml) {
    test::write_file((dir_.path() / "smime.toml").string(), toml);
    return load();
  }
  test::TempDir dir_;
};

TEST_F(ServerConfigTest, DefaultsServeLoopback8443WithTheKeyInTheToken) {
  ServerSettings c = load();
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.port, 8443);
  EXPECT_EQ(c.tls_key, "token");
  EXPECT_EQ(c.tls_certificate, dir_.path() / "smimed-tls.pem");
  EXPECT_GT(c.body_limit, 1024u * 1024u);
  const server::ServerOptions o = server::server_options(c);
  EXPECT_GE(o.worker_threads, 1u);
  EXPECT_EQ(o.read_timeout, std::chrono::seconds(30));
}

TEST_F(ServerConfigTest, FileAndEnvironment) {
  ServerSettings c = with(
      "[server]\nlisten = \"0.0.0.0\"\nport = 9443\nbody_limit = 2048\nheader_limit = 4096\n"
      "read_timeout_s = 5\nidle_timeout_s = 7\nmax_connections = 3\nio_threads = 2\n"
      "worker_threads = 4\ntls_key = \"file\"\ntls_key_file = \"/k.pem\"\n"
      "tls_names = [\"mail.example.org\", \"10.0.0.1\"]\n");
  EXPECT_EQ(c.listen_address, "0.0.0.0");
  EXPECT_EQ(c.port, 9443);
  EXPECT_EQ(c.body_limit, 2048u);
  EXPECT_EQ(c.header_limit, 4096u);
  EXPECT_EQ(c.max_connections, 3);
  EXPECT_EQ(c.worker_threads, 4);
  EXPECT_EQ(c.tls_key, "file");
  EXPECT_EQ(c.tls_key_file, "/k.pem");
  EXPECT_EQ(c.tls_names, (std::vector<std::string>{"mail.example.org", "10.0.0.1"}));
  ::setenv("SMIME_LISTEN_PORT", "0", 1);
  ::setenv("SMIME_LISTEN_ADDRESS", "::1", 1);
  c = load();
  EXPECT_EQ(c.port, 0);
  EXPECT_EQ(c.listen_address, "::1");
}

TEST_F(ServerConfigTest, BadValuesNameTheKey) {
  for (const std::string bad :
       {"[server]\nport = 70000\n", "[server]\nport = \"x\"\n", "[server]\ntls_key = \"hsm\"\n",
        "[server]\nbody_limit = 1\n", "[server]\ntls_names = [1]\n"}) {
    try {
      with(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input);
      EXPECT_NE(std::string(e.what()).find("[server]"), std::string::npos) << e.what();
    }
  }
  ::setenv("SMIME_LISTEN_PORT", "http", 1);
  EXPECT_THROW(load(), Error);
}

TEST_F(ServerConfigTest, OnlyTheServerReadsTheServerTable) {
  // smimectl loads the same file: a [server] value it never uses does not stop it.
  const std::filesystem::path file = dir_.path() / "other.toml";
  test::write_file(file.string(), "[log]\nlevel = \"info\"\n[server]\nport = 70000\n");
  const AppConfig config = load_config(dir_.path(), file);
  EXPECT_EQ(config.config_file, file);
  EXPECT_EQ(config.log_level, "info");
  try {
    load_server_settings(config);
    ADD_FAILURE() << "accepted port 70000";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string() + ": [server] 'port'"), std::string::npos)
        << e.what();
  }
  test::write_file(file.string(), "[server]\nport = 9000\n");
  EXPECT_EQ(load_server_settings(load_config(dir_.path(), file)).port, 9000);
}

}  // namespace
}  // namespace smime
