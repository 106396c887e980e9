#include "smime/server/crl_refresher.hpp"

#include <spdlog/spdlog.h>

namespace smime::server {

CrlRefresher::CrlRefresher(std::function<void()> pass, std::chrono::seconds interval)
    : pass_(std::move(pass)), interval_(interval), thread_([this] { run(); }) {}

CrlRefresher::~CrlRefresher() {
  stop();
}

void CrlRefresher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CrlRefresher::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      pass_();
    } catch (const std::exception& e) {
      spdlog::warn("CRL refresh: {}", e.what());
    } catch (...) {
      spdlog::warn("CRL refresh failed");
    }
    lock.lock();
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace smime::server
