// The large mail (25 MB) through the API against the openssl cms CLI on the same file: wall
// time and peak memory growth of smimed, peak RSS of each openssl process.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bench_node.hpp"

namespace smime::bench {

struct LargeMailSetup {
  std::string scratch;       // a directory for the files
  std::string openssl_conf;  // pkcs11-provider for the token
  ReferenceKeys keys;
};

nlohmann::json large_mail_run(BenchNode& node, const LargeMailSetup& setup);

}  // namespace smime::bench
