// What the API benchmarks share: their options, the org key made through the API, the 1 KB
// message they sign and a closed-loop load of client threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "https_client.hpp"

namespace smime::bench {

// --seconds N, --threads N (client threads), --algorithm ec-p256|rsa-2048.
struct Options {
  double seconds = 3;
  unsigned threads = 0;
  std::string algorithm = "ec-p256";
};

inline Options parse_options(int argc, char** argv, unsigned default_threads) {
  Options options;
  options.threads = default_threads;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view name = argv[i];
    if (name == "--seconds") options.seconds = std::stod(argv[i + 1]);
    if (name == "--threads") options.threads = static_cast<unsigned>(std::stoul(argv[i + 1]));
    if (name == "--algorithm") options.algorithm = argv[i + 1];
  }
  return options;
}

// The org key for support@example.org with a self-signed certificate, made through the API
// as an admin would; the API's answer (certificate_pem, key.uri, ...).
inline nlohmann::json generate_org_key(unsigned short port, const std::string& admin_secret,
                                       const std::string& algorithm) {
  test::HttpsClient client(port);
  auto r = client.request(
      "POST", "/api/v1/keys",
      nlohmann::json{{"algorithm", algorithm},
                     {"label", "support"},
                     {"emails", {"support@example.org"}},
                     {"self_signed", true}}
          .dump(),
      {{"Authorization", "Bearer " + admin_secret}, {"Content-Type", "application/json"}});
  if (r.status != 201) throw std::runtime_error("key generation failed: " + r.body);
  return nlohmann::json::parse(r.body);
}

inline const std::string kSignedMessage = [] {
  std::string body;
  while (body.size() < 1024) body += "The ticket was resolved; thank you for your patience.\r\n";
  return "From: support@example.org\r\nTo: bob@example.net\r\nSubject: bench\r\n"
         "Message-ID: <bench@example.org>\r\nContent-Type: text/plain\r\n\r\n" +
         body;
}();

// Runs the operation that make() returns for each of `threads` threads, back to back, for
// `seconds`; returns operations per second. Throws when an operation failed.
inline double rate(unsigned threads, double seconds,
                   const std::function<std::function<bool()>()>& make) {
  using Clock = std::chrono::steady_clock;
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> pool;
  const auto started = Clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      auto work = make();
      while (!stop.load(std::memory_order_relaxed)) {
        if (!work()) {
          failed = true;
          return;
        }
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  if (failed) throw std::runtime_error("an operation failed during the run");
  return static_cast<double>(done.load()) /
         std::chrono::duration<double>(Clock::now() - started).count();
}

}  // namespace smime::bench
