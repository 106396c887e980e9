#include "smime/server/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace smime::server {
namespace {

// Label values escape backslash, double quote and newline (exposition format).
std::string label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Labels come from a fixed set: a client's method token must not create a time series.
std::string_view method_label(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kMethods = {"GET",    "HEAD",    "POST", "PUT",
                                                               "DELETE", "OPTIONS", "PATCH"};
  for (std::string_view known : kMethods) {
    if (method == known) return known;
  }
  return "other";
}

std::string number(double value) {
  return fmt::format("{}", value);
}

}  // namespace

void Metrics::observe(const RequestRecord& record) {
  const std::string operation =
      record.operation.empty() ? std::string("unmatched") : std::string(record.operation);
  const double seconds = std::chrono::duration<double>(record.elapsed).count();
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin());
  std::lock_guard lock(mutex_);
  ++requests_[{operation, std::string(method_label(record.method)), record.status}];
  Histogram& h = latency_[operation];
  if (bucket < kBuckets.size()) ++h.buckets[bucket];
  ++h.count;
  h.sum += seconds;
  if (record.error && is_token_error(*record.error)) {
    ++token_errors_[std::string(to_string(*record.error))];
  }
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> sample) {
  std::lock_guard lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), std::move(sample)});
}

void Metrics::add_counter(std::string name, std::string help, std::function<Series()> sample) {
  std::lock_guard lock(mutex_);
  counters_.push_back({std::move(name), std::move(help), std::move(sample)});
}

std::string Metrics::render() const {
  std::string out;
  std::vector<Gauge> gauges;
  std::vector<Counter> counters;
  {
    std::lock_guard lock(mutex_);
    out += "# HELP smimed_requests_total API requests answered, by operation, method and status.\n";
    out += "# TYPE smimed_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
      const auto& [operation, method, status] = key;
      out +=
          fmt::format("smimed_requests_total{{operation=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                      label(operation), label(method), status, count);
    }
    out +=
        "# HELP smimed_request_duration_seconds Time from routing to the answer, by operation.\n";
    out += "# TYPE smimed_request_duration_seconds histogram\n";
    for (const auto& [operation, h] : latency_) {
      const std::string op = label(operation);
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += h.buckets[i];
        out +=
            fmt::format("smimed_request_duration_seconds_bucket{{operation=\"{}\",le=\"{}\"}} {}\n",
                        op, number(kBuckets[i]), cumulative);
      }
      out +=
          fmt::format("smimed_request_duration_seconds_bucket{{operation=\"{}\",le=\"+Inf\"}} {}\n",
                      op, h.count);
      out += fmt::format("smimed_request_duration_seconds_sum{{operation=\"{}\"}} {}\n", op,
                         number(h.sum));
      out += fmt::format("smimed_request_duration_seconds_count{{operation=\"{}\"}} {}\n", op,
                         h.count);
    }
    out +=
        "# HELP smimed_token_errors_total Requests that failed because of the token, by error.\n";
    out += "# TYPE smimed_token_errors_total counter\n";
    for (const auto& [code, count] : token_errors_) {
      out += fmt::format("smimed_token_errors_total{{code=\"{}\"}} {}\n", label(code), count);
    }
    gauges = gauges_;
    counters = counters_;
  }
  for (const Counter& c : counters) {
    Series series;
    try {
      series = c.sample();
    } catch (...) {
      continue;
    }
    out += fmt::format("# HELP smimed_{} {}\n# TYPE smimed_{} counter\n", c.name, c.help, c.name);
    for (const auto& [labels, value] : series) {
      out += fmt::format("smimed_{}{{{}}} {}\n", c.name, labels, number(value));
    }
  }
  // Sampled outside the lock: a gauge may take its own locks.
  for (const Gauge& g : gauges) {
    double value = 0;
    try {
      value = g.sample();
    } catch (...) {
      continue;  // a failing sample leaves the gauge out of this scrape
    }
    out += fmt::format("# HELP smimed_{} {}\n# TYPE smimed_{} gauge\nsmimed_{} {}\n", g.name,
                       g.help, g.name, g.name, number(value));
  }
  return out;
}

}  // namespace smime::server
