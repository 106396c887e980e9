#include "wrk_load.hpp"

#include <algorithm>
#include <cmath>
#include <regex>
#include <stdexcept>

#include "support/process.hpp"

namespace smime::bench {
namespace {

std::string lua_quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string write_script(const LoadSpec& spec, const std::string& scratch_dir) {
  std::string script = "wrk.method = " + lua_quoted(spec.method) + "\n";
  script += "wrk.headers[\"Authorization\"] = " + lua_quoted("Bearer " + spec.bearer) + "\n";
  if (spec.method == "GET") {
    const std::string file = scratch_dir + "/load.lua";
    test::write_file(file, script);
    return file;
  }
  script += "wrk.headers[\"Content-Type\"] = \"message/rfc822\"\n";
  if (!spec.accept.empty()) {
    script += "wrk.headers[\"Accept\"] = " + lua_quoted(spec.accept) + "\n";
  }
  script += "local f = assert(io.open(" + lua_quoted(spec.body_file) +
            ", \"rb\"))\nwrk.body = f:read(\"*a\")\nf:close()\n";
  const std::string file = scratch_dir + "/load.lua";
  test::write_file(file, script);
  return file;
}

// "635.91us", "1.20ms", "2.00s" in microseconds.
double duration_us(const std::string& value, const std::string& unit) {
  const double v = std::stod(value);
  if (unit == "us") return v;
  if (unit == "ms") return v * 1e3;
  if (unit == "s") return v * 1e6;
  if (unit == "m") return v * 60e6;
  throw std::runtime_error("wrk printed an unknown unit " + unit);
}

double percentile(const std::string& out, const std::string& which) {
  const std::regex line("\\s" + which + "%\\s+([0-9.]+)(us|ms|s|m)\\b");
  std::smatch m;
  if (!std::regex_search(out, m, line)) throw std::runtime_error("wrk printed no " + which + "%");
  return duration_us(m[1], m[2]);
}

long counted(const std::string& out, const std::regex& pattern) {
  std::smatch m;
  return std::regex_search(out, m, pattern) ? std::stol(m[1]) : 0;
}

}  // namespace

LoadResult run_wrk(const LoadSpec& spec, const std::string& scratch_dir) {
  const std::string script = write_script(spec, scratch_dir);
  const long duration_s = std::max(1L, std::lround(spec.seconds));  // wrk takes whole seconds
  auto r = test::run_process({"wrk", "-t1", "-c" + std::to_string(spec.connections),
                              "-d" + std::to_string(duration_s) + "s", "--timeout", "30s",
                              "--latency", "-s", script,
                              "https://127.0.0.1:" + std::to_string(spec.port) + spec.target});
  if (r.exit_code != 0) throw std::runtime_error("wrk failed: " + r.err + r.out);
  LoadResult result;
  result.output = r.out;
  result.requests = counted(r.out, std::regex("(\\d+) requests in"));
  std::smatch m;
  if (!std::regex_search(r.out, m, std::regex("Requests/sec:\\s+([0-9.]+)"))) {
    throw std::runtime_error("wrk printed no rate: " + r.out);
  }
  result.per_second = std::stod(m[1]);
  result.p50_us = percentile(r.out, "50");
  result.p99_us = percentile(r.out, "99");
  result.failures = counted(r.out, std::regex("Non-2xx or 3xx responses: (\\d+)"));
  if (std::regex_search(r.out, m,
                        std::regex("Socket errors: connect (\\d+), read (\\d+), write (\\d+), "
                                   "timeout (\\d+)"))) {
    result.failures += std::stol(m[1]) + std::stol(m[2]) + std::stol(m[3]) + std::stol(m[4]);
  }
  return result;
}

}  // namespace smime::bench
