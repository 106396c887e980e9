// The HTTP client of online revocation: which URLs it takes, and that an exchange is bounded
// by its timeout and body limit (against real sockets on 127.0.0.1).
#include "smime/app/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smime/common/error.hpp"

namespace smime::test {
namespace {

TEST(HttpUrlTest, TakesPlainHttpWithHostPortAndPath) {
  const app::HttpUrl a = app::parse_http_url("http://crl.example.org/ca.crl");
  EXPECT_EQ(a.host, "crl.example.org");
  EXPECT_EQ(a.port, "80");
  EXPECT_EQ(a.target, "/ca.crl");
  const app::HttpUrl b = app::parse_http_url("HTTP://127.0.0.1:8080");
  EXPECT_EQ(b.host, "127.0.0.1");
  EXPECT_EQ(b.port, "8080");
  EXPECT_EQ(b.target, "/");
  const app::HttpUrl c = app::parse_http_url("http://[::1]:81/x?y=1");
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, "81");
  EXPECT_EQ(c.target, "/x?y=1");
}

TEST(HttpUrlTest, RefusesOtherSchemesAndBadUrls) {
  for (const char* url : {"https://crl.example.org/ca.crl", "ldap://ldap.example.org/cn=CA",
                          "http://", "http://user@host/x", "http://host:0/", "http://host:99999/",
                          "http://host:8a/", "http://host/a b", "file:///etc/passwd"}) {
    try {
      app::parse_http_url(url);
      ADD_FAILURE() << url << " was taken";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input) << url;
    }
  }
}

// A listener that accepts connections into its backlog and never answers.
class SilentListener {
 public:
  SilentListener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen");
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  unsigned short port() const { return port_; }

 private:
  int fd_;
  unsigned short port_ = 0;
};

TEST(HttpClientTest, AServerThatNeverAnswersEndsTheExchangeAtTheTimeout) {
  SilentListener silent;
  auto client = app::make_http_client();
  engine::HttpLimits limits;
  limits.timeout = std::chrono::milliseconds(300);
  try {
    client->exchange({"http://127.0.0.1:" + std::to_string(silent.port()) + "/ca.crl", {}, {}},
                     limits);
    FAIL() << "an answer from a silent server";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_NE(std::string(e.what()).find("no answer"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace smime::test
