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
  int min_version = TLS1_2_VERSION;
  int max_version = 0;  // 0: the newest
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
  // Writes bytes as they are, then reads one response.
  HttpResult raw(const std::string& bytes);
  // True when the server has closed the connection (a read returns end of stream).
  bool server_closed();
  std::string tls_version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smime::test
