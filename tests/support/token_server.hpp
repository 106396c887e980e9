// The token behind the network: `p11-kit server` exports the test's SoftHSM2 token on a Unix
// socket and p11-kit's client module forwards every PKCS#11 call to it, as a vendor's network
// HSM client does. With SMIME_TEST_TOKEN=remote (the ctest tests named remote/...), every test
// reaches its token this way: softhsm_home() starts the server, and test_module_path() and
// SMIME_PKCS11_MODULE (for smimectl and smimed children) name the client module.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace smime::test {

inline constexpr const char* kP11KitClientModule =
    "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so";

// SMIME_TEST_TOKEN=remote: the tests use the token through p11-kit server.
bool remote_token_mode();
// The PKCS#11 module the tests configure: SoftHSM2, or p11-kit's client in remote mode.
std::string test_module_path();

class TokenServer {
 public:
  // Serves the token labelled `label` of the SoftHSM2 configuration `softhsm_conf`.
  TokenServer(std::filesystem::path socket, std::filesystem::path softhsm_conf, std::string label);
  ~TokenServer();
  TokenServer(const TokenServer&) = delete;
  TokenServer& operator=(const TokenServer&) = delete;

  // Starts the server and waits until its socket exists. Throws when it does not start.
  void start();
  // SIGKILL: the network HSM vanishes mid-operation (crash, fail-over, network loss).
  void kill();
  // SIGTERM and wait.
  void stop();
  bool running() const noexcept { return pid_ > 0; }
  // For P11_KIT_SERVER_ADDRESS.
  std::string address() const { return "unix:path=" + socket_.string(); }

 private:
  std::filesystem::path socket_;
  std::filesystem::path softhsm_conf_;
  std::string label_;
  pid_t pid_ = -1;
};

// The process-wide server of the dev token in remote mode (nullptr in local mode).
TokenServer* shared_token_server();

}  // namespace smime::test
