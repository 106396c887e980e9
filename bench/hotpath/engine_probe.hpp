// The engine's part of a signed message, measured apart: the same engine code smimed runs
// (MIME preparation, signer selection, CMS with the token key, the multipart/signed result),
// in a process of its own on the node's home and token, with no HTTP, TLS or audit log.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace smime::bench {

// In the parent: runs this binary as `--engine-probe HOME THREADS SECONDS` and returns what
// it printed ({"threads", "per_second", "cpu_us_per_op"}).
nlohmann::json engine_in_process(const std::string& home, unsigned threads, double seconds);

// In the child: signs a 1 KB message back to back and prints the JSON line. Returns the exit
// code.
int engine_probe_main(const std::string& home, unsigned threads, double seconds);

}  // namespace smime::bench
