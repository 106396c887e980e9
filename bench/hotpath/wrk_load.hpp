// The load generator in a process of its own: wrk (Debian's package) with a Lua script that
// POSTs one message file (or GETs) with the API token, keep-alive, over TLS.
#pragma once

#include <string>

namespace smime::bench {

struct LoadSpec {
  unsigned short port = 0;
  std::string target;     // e.g. /api/v1/messages/outgoing?sign=true&encrypt=false
  std::string body_file;  // the message
  std::string bearer;     // API token secret
  std::string accept;     // Accept header, empty for none
  unsigned connections = 16;
  double seconds = 3;
  std::string method = "POST";  // GET sends no body (body_file unused)
};

struct LoadResult {
  long requests = 0;
  long failures = 0;  // non-2xx answers, socket errors and timeouts
  double per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::string output;  // what wrk printed
};

// Runs wrk once and parses its summary; throws when wrk does not run.
LoadResult run_wrk(const LoadSpec& spec, const std::string& scratch_dir);

}  // namespace smime::bench
