// A small synchronous HTTPS client (Boost.Beast + OpenSSL) for smimed's integration tests:
// one TLS connection, keep-alive requests on it, chosen TLS versions, and raw writes for
// requests a well-behaved client would not send.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <string>

namespace smime::test {

struct ClientOptions {
  ClientOptions() = default;
  ClientOptions(int min, int max, std::string source = {}, int timeout_s = 30)
      : min_version(min),
        max_version(max),
        source_address(std::move(source)),
        read_timeout_s(timeout_s) {}

  int min_version = TLS1_2_VERSION;
  int max_version = 0;  // 0: the newest
  // The local address to connect from (another 127.x address stands for another client).
  std::string source_address;
  // A read that waits longer fails (std::runtime_error): a test never hangs on the server.
  int read_timeout_s = 30;
};

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  bool keep_alive = false;
};

class HttpsClient {
 public:
  // Connects to 127.0.0.1:port and completes the TLS handshake; throws std::runtime_error
  // when either fails.
  explicit HttpsClient(unsigned short port, ClientOptions options = {});
  ~HttpsClient();

  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const std::map<std::string, std::string>& headers = {});
  // Writes bytes as they are, then reads one response (with no body when it answers HEAD).
  HttpResult raw(const std::string& bytes, bool head_request = false);
  // Writes bytes as they are; false when the connection is gone (the server closed it).
  bool send(const std::string& bytes);
  // Reads one response; throws std::runtime_error when there is none.
  HttpResult read_response(bool head_request = false);
  // True when the server has closed the connection (a read returns end of stream).
  bool server_closed();
  std::string tls_version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smime::test
