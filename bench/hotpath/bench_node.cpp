#include "bench_node.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "https_client.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::bench {
namespace {

std::string server_lines(int worker_threads) {
  return "worker_threads = " + std::to_string(worker_threads) +
         "\nmax_connections_per_address = 256\n";
}

nlohmann::json generate_key(unsigned short port, const std::string& secret,
                            const std::string& algorithm, const std::string& label,
                            const std::string& email) {
  test::HttpsClient client(port);
  auto r = client.request(
      "POST", "/api/v1/keys",
      nlohmann::json{
          {"algorithm", algorithm}, {"label", label}, {"emails", {email}}, {"self_signed", true}}
          .dump(),
      {{"Authorization", "Bearer " + secret}, {"Content-Type", "application/json"}});
  if (r.status != 201) throw std::runtime_error("key generation failed: " + r.body);
  return nlohmann::json::parse(r.body);
}

std::string text_lines(std::size_t bytes) {
  const std::string line =
      "The ticket was resolved; thank you for your patience. We will be in touch.\r\n";
  std::string body;
  body.reserve(bytes + line.size());
  while (body.size() < bytes) body += line;
  body.resize(bytes);
  return body;
}

std::string base64_lines(std::size_t raw_bytes) {
  std::string raw(raw_bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  std::string out;
  out.reserve(raw_bytes / 57 * 78 + 80);
  unsigned char block[80];
  for (std::size_t pos = 0; pos < raw.size(); pos += 57) {
    const int n = static_cast<int>(std::min<std::size_t>(57, raw.size() - pos));
    const int written =
        EVP_EncodeBlock(block, reinterpret_cast<const unsigned char*>(raw.data() + pos), n);
    out.append(reinterpret_cast<char*>(block), static_cast<std::size_t>(written));
    out += "\r\n";
  }
  return out;
}

const char* kHeaders =
    "From: support@example.org\r\nTo: bob@example.net\r\nSubject: bench\r\n"
    "Message-ID: <bench@example.org>\r\nMIME-Version: 1.0\r\n";

}  // namespace

BenchNode::BenchNode(const std::string& home, int worker_threads)
    : process_(std::make_unique<test::SmimedProcess>(home, test::softhsm_home(),
                                                     server_lines(worker_threads))) {
  process_->start();
}

ReferenceKeys BenchNode::generate_keys(const std::string& algorithm) {
  const auto signer = generate_key(port(), secret(), algorithm, "support", "support@example.org");
  const auto recipient = generate_key(port(), secret(), algorithm, "bob", "bob@example.net");
  return {signer["certificate_pem"], signer["key"]["uri"], recipient["certificate_pem"],
          recipient["key"]["uri"]};
}

void BenchNode::restart(int worker_threads) {
  process_->signal(SIGTERM);
  if (process_->wait_exit(std::chrono::seconds(20)) < 0) {
    process_->signal(SIGKILL);
    process_->wait_exit(std::chrono::seconds(5));
  }
  process_->set_server_lines(server_lines(worker_threads));
  process_->start();
  post(kSignTarget, text_message(1024));  // serving again, key found
}

std::string BenchNode::post(const std::string& target, const std::string& message,
                            const std::string& accept) const {
  test::HttpsClient client(port(), test::ClientOptions(TLS1_2_VERSION, 0, {}, 600));
  std::map<std::string, std::string> headers = {{"Authorization", "Bearer " + secret()},
                                                {"Content-Type", "message/rfc822"}};
  if (!accept.empty()) headers["Accept"] = accept;
  auto r = client.request("POST", target, message, headers);
  if (r.status != 200) {
    throw std::runtime_error("POST " + target + ": " + std::to_string(r.status) + " " +
                             r.body.substr(0, 300));
  }
  return r.body;
}

std::string text_message(std::size_t bytes) {
  return std::string(kHeaders) + "Content-Type: text/plain; charset=us-ascii\r\n\r\n" +
         text_lines(bytes);
}

std::string large_message() {
  const std::string boundary = "bench-boundary-7f3a";
  return std::string(kHeaders) + "Content-Type: multipart/mixed; boundary=\"" + boundary +
         "\"\r\n\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" +
         text_lines(7'000'000) + "\r\n--" + boundary +
         "\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
         "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         base64_lines(13'500'000) + "--" + boundary + "--\r\n";
}

}  // namespace smime::bench
