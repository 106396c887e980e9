// Real revocation servers on loopback for the online-revocation tests, started and stopped by
// the test: an HTTP server for CRL files (tests/support/http_file_server.py: GET serves a file
// of its directory, POST answers with one too) and `openssl ocsp` as the OCSP responder over an
// index of the test CA's certificates (OpenSSL 3.0's responder takes a port number only: it
// listens on the wildcard address; the certificates and the appliance use 127.0.0.1).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "support/test_certs.hpp"

namespace smime::test {

// A child process with its output in a log file, ended with SIGTERM.
class BackgroundProcess {
 public:
  BackgroundProcess() = default;
  ~BackgroundProcess() { stop(); }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  void start(const std::vector<std::string>& argv, const std::filesystem::path& log);
  void stop();
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

class LocalHttpServer {
 public:
  explicit LocalHttpServer(std::filesystem::path directory);  // started
  ~LocalHttpServer() { stop(); }

  void stop() { process_.stop(); }
  unsigned short port() const { return port_; }
  // http://127.0.0.1:PORT/name
  std::string url(const std::string& name) const;
  // Writes (or replaces) the file served at /name.
  void put(const std::string& name, const std::vector<unsigned char>& bytes) const;

 private:
  std::filesystem::path directory_;
  BackgroundProcess process_;
  unsigned short port_ = 0;
};

// By serial: the responder runs (and its port is known) before the certificate naming it is
// issued with that serial.
struct OcspEntry {
  std::uint64_t serial = 0;
  bool revoked = false;  // revoked an hour ago, keyCompromise
};

class OcspResponder {
 public:
  // Answers for the certificates issued by `ca`, signed by `signer` (the CA itself or a
  // responder certificate), nextUpdate a minute ahead (-nmin 1).
  OcspResponder(std::filesystem::path directory, const IssuedCertificate& ca,
                const IssuedCertificate& signer, const std::vector<OcspEntry>& entries);
  ~OcspResponder() { stop(); }

  void start();
  void stop() { process_.stop(); }
  unsigned short port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:PORT/
  // A response for `cert` made offline (openssl ocsp -reqin): it carries the nonce of a
  // request of its own, not the appliance's.
  std::vector<unsigned char> canned_response(const X509* cert) const;

 private:
  std::filesystem::path directory_;
  BackgroundProcess process_;
  unsigned short port_ = 0;
};

std::vector<unsigned char> read_bytes(const std::filesystem::path& file);

}  // namespace smime::test
