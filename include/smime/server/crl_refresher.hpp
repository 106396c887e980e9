// smimed's CRL refresher (issue 16): a thread that runs the engine's refresh pass every
// `interval`, so that CRLs fetched from distribution points are fetched again before their
// nextUpdate ([revocation] refresh_margin_s) and verifications keep finding a fresh one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace smime::server {

class CrlRefresher {
 public:
  // pass: one refresh pass (Engine::refresh_crls); its failures are logged, not fatal.
  CrlRefresher(std::function<void()> pass, std::chrono::seconds interval);
  ~CrlRefresher();  // stops and joins
  CrlRefresher(const CrlRefresher&) = delete;
  CrlRefresher& operator=(const CrlRefresher&) = delete;

  void stop();

 private:
  void run();

  std::function<void()> pass_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace smime::server
