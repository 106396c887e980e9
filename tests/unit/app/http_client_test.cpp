// The HTTP client of online revocation: which URLs it takes, and that an exchange is bounded
// by its timeout and body limit (against real sockets on 127.0.0.1).
#include "smime/app/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

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
  int fd() const { return fd_; }

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

// Answers one connection with `answer` once the request's header has arrived.
class CannedServer {
 public:
  explicit CannedServer(std::string answer)
      : thread_([this, answer = std::move(answer)] {
          const int connection = ::accept(listener_.fd(), nullptr, nullptr);
          if (connection < 0) return;
          std::string request;
          char buffer[4096];
          while (request.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::read(connection, buffer, sizeof buffer);
            if (n <= 0) break;
            request.append(buffer, static_cast<std::size_t>(n));
          }
          (void)!::write(connection, answer.data(), answer.size());
          ::close(connection);
        }) {}
  ~CannedServer() { thread_.join(); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(listener_.port()) + path;
  }

 private:
  SilentListener listener_;
  std::thread thread_;
};

TEST(HttpClientTest, ReadsTheStatusTypeAndBodyOfAnAnswer) {
  CannedServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: 5\r\n"
      "Connection: close\r\n\r\nhello");
  auto response = app::make_http_client()->exchange({server.url("/ca.crl"), {}, {}}, {});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/pkix-crl");
  EXPECT_EQ(std::string(response.body.begin(), response.body.end()), "hello");
}

TEST(HttpClientTest, AnAnswerOverTheBodyLimitIsRefused) {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 2048\r\n\r\n" + std::string(2048, 'x'));
  engine::HttpLimits limits;
  limits.max_body = 1024;
  try {
    app::make_http_client()->exchange({server.url("/big.crl"), {}, {}}, limits);
    FAIL() << "a body over the limit was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
    EXPECT_NE(std::string(e.what()).find("larger than 1024 bytes"), std::string::npos);
  }
}

TEST(HttpClientTest, NothingListeningIsAnIoError) {
  unsigned short port = 0;
  { port = SilentListener().port(); }  // closed again: nothing listens there now
  try {
    app::make_http_client()->exchange(
        {"http://127.0.0.1:" + std::to_string(port) + "/ca.crl", {}, {}}, {});
    FAIL() << "an answer from a closed port";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace smime::test
