// Attacks of issue 11 that only a separate smimed process shows: that it never exits (item 1),
// that idle sockets lock nobody else out and refusals do not flood the log (item 5), that
// SIGTERM is not held by a slow client and that memory goes back after large requests
// (item 15). Each against the real smimed binary over TLS on loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <thread>

#include "https_client.hpp"
#include "store_check.hpp"
#include "support/smimed_process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

// A TCP connection that never starts TLS, from a chosen loopback address.
class IdleSocket {
 public:
  IdleSocket(const std::string& from, unsigned short port)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
      throw std::runtime_error("idle socket: cannot connect");
    }
  }
  ~IdleSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  IdleSocket(IdleSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  IdleSocket(const IdleSocket&) = delete;
  IdleSocket& operator=(const IdleSocket&) = delete;

  // True once the server has closed it (a read returns end of stream or an error), waiting
  // at most `within`.
  bool closed_by_server(std::chrono::seconds within) const {
    const timeval timeout{static_cast<time_t>(within.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char byte = 0;
    const ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  int fd_;
};

class SmimedAttackTest : public SoftHsmTest {
 protected:
  void TearDown() override {
    if (smimed_ && smimed_->running()) {
      smimed_->signal(SIGTERM);
      EXPECT_EQ(smimed_->wait_exit(std::chrono::seconds(60)), 0);
    }
    if (smimed_) expect_store_intact(smimed_->home());
  }

  unsigned short start(const std::string& server_lines) {
    smimed_ = std::make_unique<SmimedProcess>(scratch_.path() / "home", home(), server_lines);
    return smimed_->start();
  }
  std::map<std::string, std::string> auth() const {
    return {{"Authorization", "Bearer " + smimed_->admin_secret()}};
  }
  void expect_alive() {
    ASSERT_TRUE(smimed_->running()) << smimed_->stderr_text();
    HttpResult health = HttpsClient(smimed_->port()).request("GET", "/healthz");
    EXPECT_EQ(health.status, 200) << health.body;
  }

  std::unique_ptr<SmimedProcess> smimed_;
};

// Item 1: a trailer field of 65,534 bytes or more, or a header field over 65,535 bytes with
// header_limit at its maximum, made Beast throw out of the I/O loop: smimed exited with 1.
TEST_F(SmimedAttackTest, OversizedFieldsNeverEndTheProcess) {
  const unsigned short port = start("header_limit = 65535\n");
  for (std::size_t size : {65'534U, 65'535U, 70'000U, 200'000U}) {
    HttpsClient trailer(port);
    trailer.send(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " +
        std::string(size, 't') + "\r\n\r\n");
    EXPECT_NO_THROW(trailer.read_response()) << size;
    HttpsClient header(port);
    header.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-H: " + std::string(size, 'h') + "\r\n\r\n");
    EXPECT_EQ(header.read_response().status, 431) << size;
    expect_alive();
  }
}

TEST_F(SmimedAttackTest, AHeaderLimitBeyondTheParserIsRefusedAtStart) {
  EXPECT_THROW(start("header_limit = 65536\n"), std::runtime_error);
  EXPECT_NE(smimed_->stderr_text().find("header_limit"), std::string::npos)
      << smimed_->stderr_text();
  smimed_.reset();  // it never ran: nothing to check
}

// Item 5: 256 idle TCP sockets locked everyone out, /healthz included, and each refusal
// logged a line. Now one address gets max_connections_per_address slots, the handshake
// timeout frees them, and refusals are logged at a bounded rate.
TEST_F(SmimedAttackTest, IdleSocketsFromOneAddressLockNobodyElseOut) {
  const unsigned short port =
      start("max_connections_per_address = 8\nhandshake_timeout_s = 2\nread_timeout_s = 60\n");
  std::vector<IdleSocket> idle;
  for (int i = 0; i < 300; ++i) idle.emplace_back("127.0.0.2", port);
  // The server has taken up what it admits and refused the rest.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  expect_alive();
  HttpResult admin = HttpsClient(port).request("GET", "/api/v1/token", "", auth());
  EXPECT_EQ(admin.status, 200);

  const std::string log = smimed_->stderr_text();
  std::size_t lines = 0;
  for (auto pos = log.find("refusing"); pos != std::string::npos;
       pos = log.find("refusing", pos + 1)) {
    ++lines;
  }
  EXPECT_GE(lines, 1u) << log;
  EXPECT_LE(lines, 3u) << log;

  // The admitted ones are closed by the handshake timeout (2 s), long before read_timeout_s.
  EXPECT_TRUE(idle.front().closed_by_server(std::chrono::seconds(20)));
  // And the address can connect again.
  HttpResult again = HttpsClient(port, {TLS1_2_VERSION, 0, "127.0.0.2"}).request("GET", "/healthz");
  EXPECT_EQ(again.status, 200);
}

// Item 15: one slow client delayed SIGTERM by the whole grace period.
TEST_F(SmimedAttackTest, ASlowClientDoesNotHoldTheStop) {
  const unsigned short port = start("shutdown_grace_s = 120\nread_timeout_s = 120\n");
  HttpsClient slow(port);
  // Half a body, then nothing: the request is never received whole.
  slow.send("POST /api/v1/messages/preflight HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
            smimed_->admin_secret() +
            "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"from\":");
  HttpsClient idle(port);
  EXPECT_EQ(idle.request("GET", "/healthz").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  smimed_->signal(SIGTERM);
  // Well within the grace and read timeouts (120 s): the unfinished request is dropped.
  EXPECT_EQ(smimed_->wait_exit(std::chrono::seconds(30)), 0) << smimed_->stderr_text();
  EXPECT_TRUE(slow.server_closed());
}

// Item 15: memory taken by large requests was never handed back.
TEST_F(SmimedAttackTest, MemoryGoesBackAfterLargeRequests) {
  const unsigned short port = start("body_limit = 33554432\nworker_threads = 2\n");
  HttpsClient warm(port);
  EXPECT_EQ(warm.request("GET", "/healthz").status, 200);
  const long baseline = smimed_->rss_kib();
  const std::string big(24U * 1024 * 1024, 'A');
  for (int i = 0; i < 6; ++i) {
    HttpsClient c(port);
    auto headers = auth();
    headers["Content-Type"] = "application/x-pem-file";
    HttpResult r = c.request("POST", "/api/v1/certificates", big, headers);
    EXPECT_EQ(r.status, 400) << r.body.substr(0, 200);
    EXPECT_LT(r.body.size(), 64U * 1024);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long after = smimed_->rss_kib();
  // Each request held 24 MiB (more while parsed); what stays is far less than one of them.
  EXPECT_LT(after - baseline, 16L * 1024) << "baseline " << baseline << " KiB, after " << after;
  expect_alive();
}

}  // namespace
}  // namespace smime::test
