// smimed's Prometheus metrics (text exposition format 0.0.4): requests by operation, method
// and status; a latency histogram per operation; token errors by code (is_token_error); and gauges
// read when scraped (the audit log's queue of entries waiting for their batch commit); counters
// kept elsewhere and read when scraped (online revocation's fetches and queries). Fed by the
// router's RequestObserver; every method is thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "smime/server/router.hpp"

namespace smime::server {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency buckets; +Inf is implicit.
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

  void observe(const RequestRecord& record);
  // A gauge sampled at each scrape (name without the smimed_ prefix).
  void add_gauge(std::string name, std::string help, std::function<double()> sample);
  // A counter kept elsewhere, sampled at each scrape: one value per label set ("kind=\"crl\"").
  using Series = std::vector<std::pair<std::string, double>>;
  void add_counter(std::string name, std::string help, std::function<Series()> sample);
  // The exposition text.
  std::string render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct Gauge {
    std::string name;
    std::string help;
    std::function<double()> sample;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, std::uint64_t> token_errors_;
  std::vector<Gauge> gauges_;
  struct Counter {
    std::string name;
    std::string help;
    std::function<Series()> sample;
  };
  std::vector<Counter> counters_;
};

}  // namespace smime::server
