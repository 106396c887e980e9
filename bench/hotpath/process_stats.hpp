// What /proc says about a process: its CPU time so far and its memory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace smime::bench {

// utime + stime of `pid` in microseconds (/proc/<pid>/stat, clock ticks).
std::int64_t cpu_us(pid_t pid);
// A "Vm...:" line of /proc/<pid>/status in KiB (VmRSS, VmHWM), 0 when absent.
long status_kib(pid_t pid, const std::string& field);

struct ChildRun {
  int exit_code = -1;
  double seconds = 0;  // wall time
  long max_rss_kib = 0;
  std::string err;  // the first bytes of its stderr
};

// Runs argv (argv[0] searched in PATH) with `env_add` set, stdout to /dev/null, and reports its
// wall time and peak RSS (VmHWM, polled).
ChildRun run_measured(const std::vector<std::string>& argv,
                      const std::vector<std::string>& env_add = {});

}  // namespace smime::bench
