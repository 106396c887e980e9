#include "threaded_rate.hpp"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace smime::bench {

ThreadedRate run_threads(unsigned threads, double seconds, const std::function<bool()>& op) {
  using Clock = std::chrono::steady_clock;
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::atomic<bool> failed{false};
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const auto started = Clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        try {
          if (!op()) failed = true;
        } catch (const std::exception&) {
          failed = true;
        }
        if (failed) return;
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  if (failed) throw std::runtime_error("an operation failed");
  const auto us = [](const timeval& tv) { return tv.tv_sec * 1e6 + tv.tv_usec; };
  const double cpu =
      us(after.ru_utime) + us(after.ru_stime) - us(before.ru_utime) - us(before.ru_stime);
  const double n = static_cast<double>(done.load());
  return {n / elapsed, cpu / n};
}

}  // namespace smime::bench
