// An operation run back to back on a few threads for a while: its rate and this process's CPU
// (getrusage) per operation.
#pragma once

#include <functional>

namespace smime::bench {

struct ThreadedRate {
  double per_second = 0;
  double cpu_us_per_op = 0;
};

// Throws when `op` returns false or throws.
ThreadedRate run_threads(unsigned threads, double seconds, const std::function<bool()>& op);

}  // namespace smime::bench
