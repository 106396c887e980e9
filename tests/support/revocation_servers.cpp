#include "support/revocation_servers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"
#include "support/test_keys.hpp"

extern char** environ;

namespace smime::test {
namespace {

std::string serial_upper_hex(std::uint64_t serial) {
  char text[32];
  std::snprintf(text, sizeof text, "%llX", static_cast<unsigned long long>(serial));
  std::string hex = text;
  if (hex.size() % 2 != 0) hex.insert(0, "0");
  return hex;
}

std::string index_time(std::time_t at) {
  char text[32];
  std::tm parts{};
  gmtime_r(&at, &parts);
  std::strftime(text, sizeof text, "%y%m%d%H%M%SZ", &parts);
  return text;
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

std::vector<unsigned char> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void BackgroundProcess::start(const std::vector<std::string>& args,
                              const std::filesystem::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  }
}

bool BackgroundProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void BackgroundProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

LocalHttpServer::LocalHttpServer(std::filesystem::path directory)
    : directory_(std::move(directory)) {
  std::filesystem::create_directories(directory_ / "files");
  const std::filesystem::path port_file = directory_ / "http.port";
  std::filesystem::remove(port_file);
  process_.start(
      {"python3", SMIME_TEST_HTTP_SERVER, (directory_ / "files").string(), port_file.string()},
      directory_ / "http.log");
  for (int i = 0; i < 200 && port_ == 0; ++i) {
    if (std::filesystem::exists(port_file)) {
      port_ = static_cast<unsigned short>(std::stoi(read_file(port_file.string())));
      break;
    }
    if (!process_.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (port_ == 0) {
    throw std::runtime_error("the HTTP server did not start: " +
                             read_file((directory_ / "http.log").string()));
  }
}

std::string LocalHttpServer::url(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

void LocalHttpServer::put(const std::string& name, const std::vector<unsigned char>& bytes) const {
  const std::filesystem::path file = directory_ / "files" / name;
  const std::filesystem::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, file);
}

OcspResponder::OcspResponder(std::filesystem::path directory, const IssuedCertificate& ca,
                             const IssuedCertificate& signer, const std::vector<OcspEntry>& entries)
    : directory_(std::move(directory)) {
  std::filesystem::create_directories(directory_);
  write_text(directory_ / "ca.pem", pem(ca.cert.get()));
  write_text(directory_ / "signer.pem", pem(signer.cert.get()));
  write_text(directory_ / "signer.key", pem_pkcs8(signer.key.get()));
  const std::time_t now = std::time(nullptr);
  std::string index;
  for (const OcspEntry& e : entries) {
    const std::string expiry = index_time(now + 365 * 86400);
    const std::string serial = serial_upper_hex(e.serial);
    if (e.revoked) {
      index += "R\t" + expiry + "\t" + index_time(now - 3600) + ",keyCompromise\t" + serial +
               "\tunknown\t/CN=test\n";
    } else {
      index += "V\t" + expiry + "\t\t" + serial + "\tunknown\t/CN=test\n";
    }
  }
  write_text(directory_ / "index.txt", index);
  write_text(directory_ / "index.txt.attr", "unique_subject = no\n");
}

void OcspResponder::start() {
  const std::filesystem::path log = directory_ / "ocsp.log";
  const std::string d = directory_.string();
  process_.start(
      {"openssl", "ocsp", "-index", d + "/index.txt", "-port", "0", "-rsigner", d + "/signer.pem",
       "-rkey", d + "/signer.key", "-CA", d + "/ca.pem", "-nmin", "1", "-ignore_err"},
      log);
  for (int i = 0; i < 200; ++i) {
    const std::string text = std::filesystem::exists(log) ? read_file(log.string()) : "";
    if (auto at = text.find("ACCEPT "); at != std::string::npos) {
      const std::size_t end = text.find(' ', at + 7);
      const std::string address = text.substr(at + 7, end - at - 7);  // [::]:PORT
      const std::size_t colon = address.rfind(':');
      if (end != std::string::npos && colon != std::string::npos) {
        port_ = static_cast<unsigned short>(std::stoi(address.substr(colon + 1)));
        if (text.find("waiting for OCSP client") != std::string::npos) return;
      }
    }
    if (!process_.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("openssl ocsp did not start: " + read_file(log.string()));
}

std::string OcspResponder::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/";
}

std::vector<unsigned char> OcspResponder::canned_response(const X509* cert) const {
  const std::string d = directory_.string();
  write_text(directory_ / "canned-cert.pem", pem(cert));
  auto request = run_process({"openssl", "ocsp", "-issuer", d + "/ca.pem", "-cert",
                              d + "/canned-cert.pem", "-reqout", d + "/canned-req.der"});
  if (request.exit_code != 0) throw std::runtime_error("openssl ocsp -reqout: " + request.err);
  auto response =
      run_process({"openssl", "ocsp", "-index", d + "/index.txt", "-rsigner", d + "/signer.pem",
                   "-rkey", d + "/signer.key", "-CA", d + "/ca.pem", "-reqin",
                   d + "/canned-req.der", "-respout", d + "/canned-resp.der", "-nmin", "1"});
  if (response.exit_code != 0) throw std::runtime_error("openssl ocsp -reqin: " + response.err);
  return read_bytes(directory_ / "canned-resp.der");
}

}  // namespace smime::test
