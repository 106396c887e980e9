// The [server] table of smime.toml and its environment overrides.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "smime/common/config.hpp"
#include "smime/common/error.hpp"
#include "smime/server/https_server.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime {
namespace {

class ServerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("SMIME_LISTEN_ADDRESS");
    ::unsetenv("SMIME_LISTEN_PORT");
  }
  void TearDown() override { SetUp(); }
  AppConfig with(const std::string& toml) {
    test::write_file((dir_.path() / "smime.toml").string(), toml);
    return load_config(dir_.path(), std::nullopt);
  }
  test::TempDir dir_;
};

TEST_F(ServerConfigTest, DefaultsServeLoopback8443WithTheKeyInTheToken) {
  AppConfig c = load_config(dir_.path(), std::nullopt);
  EXPECT_EQ(c.server.listen_address, "127.0.0.1");
  EXPECT_EQ(c.server.port, 8443);
  EXPECT_EQ(c.server.tls_key, "token");
  EXPECT_EQ(c.server.tls_certificate, dir_.path() / "smimed-tls.pem");
  EXPECT_GT(c.server.body_limit, 1024u * 1024u);
  const server::ServerOptions o = server::server_options(c.server);
  EXPECT_GE(o.worker_threads, 1u);
  EXPECT_EQ(o.read_timeout, std::chrono::seconds(30));
}

TEST_F(ServerConfigTest, FileAndEnvironment) {
  AppConfig c = with(
      "[server]\nlisten = \"0.0.0.0\"\nport = 9443\nbody_limit = 2048\nheader_limit = 4096\n"
      "read_timeout_s = 5\nidle_timeout_s = 7\nmax_connections = 3\nio_threads = 2\n"
      "worker_threads = 4\ntls_key = \"file\"\ntls_key_file = \"/k.pem\"\n"
      "tls_names = [\"mail.example.org\", \"10.0.0.1\"]\n");
  EXPECT_EQ(c.server.listen_address, "0.0.0.0");
  EXPECT_EQ(c.server.port, 9443);
  EXPECT_EQ(c.server.body_limit, 2048u);
  EXPECT_EQ(c.server.header_limit, 4096u);
  EXPECT_EQ(c.server.max_connections, 3);
  EXPECT_EQ(c.server.worker_threads, 4);
  EXPECT_EQ(c.server.tls_key, "file");
  EXPECT_EQ(c.server.tls_key_file, "/k.pem");
  EXPECT_EQ(c.server.tls_names, (std::vector<std::string>{"mail.example.org", "10.0.0.1"}));
  ::setenv("SMIME_LISTEN_PORT", "0", 1);
  ::setenv("SMIME_LISTEN_ADDRESS", "::1", 1);
  c = load_config(dir_.path(), std::nullopt);
  EXPECT_EQ(c.server.port, 0);
  EXPECT_EQ(c.server.listen_address, "::1");
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
  EXPECT_THROW(load_config(dir_.path(), std::nullopt), Error);
}

}  // namespace
}  // namespace smime
