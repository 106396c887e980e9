// The hot path against the token's own cost (issue 15): smimed in a process of its own under
// wrk (a load generator in a process of its own) for sign, sign+encrypt and incoming
// decrypt+verify of a 1 KB message at 2, 16 and 64 connections, each beside the same
// operation done in this process by OpenSSL's CMS functions with the same token keys through
// pkcs11-provider; smimed's CPU per message from /proc; the cost curve at 1 and 2 workers for
// 1, 4, 16 KB and 1 MB; the 25 MB mail against the openssl cms CLI. Writes every figure as
// JSON (scripts/bench renders the README's table and the targets from it).
//   hotpath_bench [--seconds N] [--json FILE] [--algorithms ec-p256,rsa-2048] [--skip-large]
//                 [--large-only]
//                 [--skip-scaling] [--operations sign,sign_encrypt,decrypt_verify]
// SMIMED_BINARY=path measures another build of smimed (before/after a change).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "bench_node.hpp"
#include "cms_reference.hpp"
#include "engine_probe.hpp"
#include "https_client.hpp"
#include "large_mail.hpp"
#include "process_stats.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"
#include "wrk_load.hpp"

namespace {

using namespace smime::bench;
using nlohmann::json;

struct Options {
  double seconds = 3;
  std::string json_file = "hotpath.json";
  std::vector<std::string> algorithms = {"ec-p256", "rsa-2048"};
  bool large = true;
  bool scaling = true;
  bool large_only = false;  // the large mail alone (RSA), for its figures after a change
  std::string operations;   // empty: all three; else a comma-separated subset
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    const bool has_value = i + 1 < argc;
    if (name == "--skip-large") o.large = false;
    if (name == "--skip-scaling") o.scaling = false;
    if (name == "--large-only") o.large_only = true;
    if (!has_value) continue;
    if (name == "--seconds") o.seconds = std::stod(argv[++i]);
    if (name == "--json") o.json_file = argv[++i];
    if (name == "--operations") o.operations = argv[++i];
    if (name == "--algorithms") {
      o.algorithms.clear();
      std::stringstream list(argv[++i]);
      for (std::string a; std::getline(list, a, ',');) o.algorithms.push_back(a);
    }
  }
  return o;
}

unsigned cores() {
  return std::max(1u, std::thread::hardware_concurrency());
}

constexpr const char* kMessageOperations = "process(?:Outgoing|Incoming)";

// Requests of `operations` (a regex of operation ids) answered 200 so far, from smimed's own
// counters (GET /metrics).
long answered(const BenchNode& node, const std::string& operations) {
  smime::test::HttpsClient client(node.port());
  const auto r =
      client.request("GET", "/metrics", {}, {{"Authorization", "Bearer " + node.secret()}});
  if (r.status != 200) throw std::runtime_error("GET /metrics: " + std::to_string(r.status));
  const std::regex line("smimed_requests_total\\{operation=\"" + operations +
                        "\",method=\"(?:GET|POST)\",status=\"200\"\\} (\\d+)");
  long total = 0;
  for (std::sregex_iterator it(r.body.begin(), r.body.end(), line), end; it != end; ++it) {
    total += std::stol((*it)[1]);
  }
  return total;
}

// One wrk run of `seconds` + 2: its first second (connections and TLS sessions opened, caches
// warm) and its last are left out of the CPU and rate window, which smimed's own counter and
// /proc/<pid>/stat measure; the latency percentiles are wrk's over the whole run.
json measured_load(const BenchNode& node, LoadSpec spec, const std::string& scratch,
                   const std::string& operations = kMessageOperations) {
  using Clock = std::chrono::steady_clock;
  const double window = spec.seconds;
  spec.seconds = window + 2;
  LoadResult r;
  std::exception_ptr failure;
  std::thread load([&] {
    try {
      r = run_wrk(spec, scratch);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long answered_before = answered(node, operations);
  const std::int64_t cpu_before = cpu_us(node.pid());
  const auto started = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(window));
  const std::int64_t cpu_after = cpu_us(node.pid());
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  const long messages = answered(node, operations) - answered_before;
  load.join();
  if (failure) std::rethrow_exception(failure);
  if (messages <= 0 || r.failures * 100 > r.requests) {
    throw std::runtime_error("the API failed " + std::to_string(r.failures) + " of " +
                             std::to_string(r.requests) + " requests to " + spec.target + ":\n" +
                             r.output);
  }
  return {{"connections", spec.connections},
          {"requests", r.requests},
          {"failures", r.failures},
          {"per_second", static_cast<double>(messages) / elapsed},
          {"p50_us", r.p50_us},
          {"p99_us", r.p99_us},
          {"cpu_us_per_message",
           static_cast<double>(cpu_after - cpu_before) / static_cast<double>(messages)}};
}

json reference_json(const ReferenceResult& r, unsigned threads) {
  return {{"threads", threads}, {"per_second", r.per_second}, {"cpu_us_per_op", r.cpu_us_per_op}};
}

struct Operation {
  const char* name;
  const char* target;
  ReferenceOperation reference;
  const char* accept;
};

const Operation kOperations[] = {
    {"sign", kSignTarget, ReferenceOperation::sign, ""},
    {"sign_encrypt", kSignEncryptTarget, ReferenceOperation::sign_encrypt, ""},
    {"decrypt_verify", kIncomingTarget, ReferenceOperation::decrypt_verify, ""},
};

// The three operations at 2, 16 and 64 connections, each with its in-process reference.
json operations_run(const BenchNode& node, CmsReference& reference, const Options& o,
                    const std::string& scratch) {
  const std::string message = text_message(1024);
  const std::string plain_file = scratch + "/message.eml";
  const std::string enveloped_file = scratch + "/message.p7m.eml";
  smime::test::write_file(plain_file, message);
  smime::test::write_file(enveloped_file, node.post(kSignEncryptTarget, message));
  json out = json::object();
  for (const Operation& op : kOperations) {
    if (!o.operations.empty() && o.operations.find(op.name) == std::string::npos) continue;
    json entry;
    entry["reference"] =
        reference_json(reference.run(op.reference, message, cores(), o.seconds), cores());
    for (unsigned connections : {2u, 16u, 64u}) {
      LoadSpec spec{
          node.port(),
          op.target,
          op.reference == ReferenceOperation::decrypt_verify ? enveloped_file : plain_file,
          node.secret(),
          op.accept,
          connections,
          o.seconds};
      entry["api"].push_back(measured_load(node, spec, scratch));
    }
    out[op.name] = entry;
  }
  return out;
}

// Sign at 16 connections for 1, 4, 16 KB and 1 MB with 1 and 2 workers.
json scaling_run(BenchNode& node, CmsReference& reference, const Options& o,
                 const std::string& scratch) {
  json rows = json::array();
  for (int workers : {1, 2}) {
    node.restart(workers);
    for (std::size_t size :
         {std::size_t{1024}, std::size_t{4096}, std::size_t{16384}, std::size_t{1024 * 1024}}) {
      const std::string message = text_message(size);
      const std::string file = scratch + "/scaling.eml";
      smime::test::write_file(file, message);
      json row = measured_load(
          node, LoadSpec{node.port(), kSignTarget, file, node.secret(), "", 16, o.seconds},
          scratch);
      row["workers"] = workers;
      row["message_bytes"] = size;
      const ReferenceResult ref = reference.run(ReferenceOperation::sign, message,
                                                static_cast<unsigned>(workers), o.seconds);
      row["reference"] = reference_json(ref, static_cast<unsigned>(workers));
      rows.push_back(row);
    }
  }
  node.restart(0);
  return rows;
}

// What a signed message costs beyond the token, taken apart at 64 connections: the server's
// floor per request (TLS records, HTTP, authentication, routing, a worker hand-off and a small
// store read: GET /api/v1/groups, not audited) and the engine's own part in a process of its
// own (no HTTP, no audit log). The rest of smimed's CPU per message is the audit entry, the
// hand-offs to and from the audit writer and the use case around the engine.
json decomposition_run(const BenchNode& node, const std::string& home, const Options& o,
                       const std::string& scratch) {
  LoadSpec floor{node.port(), "/api/v1/groups", "", node.secret(), "", 64, o.seconds};
  floor.method = "GET";
  return {{"server_floor", measured_load(node, floor, scratch, "listGroups")},
          {"engine_in_process", engine_in_process(home, cores(), o.seconds)}};
}

json algorithm_run(const std::string& algorithm, const Options& o,
                   const smime::test::TempDir& scratch, const std::string& openssl_conf) {
  const std::string dir = scratch.file(algorithm);
  BenchNode node(dir, 0);
  const ReferenceKeys keys = node.generate_keys(algorithm);
  CmsReference reference(openssl_conf, keys);
  json out;
  if (!o.large_only) {
    std::cerr << "hotpath_bench: " << algorithm << ": operations\n";
    out["operations"] = operations_run(node, reference, o, dir);
    std::cerr << "hotpath_bench: " << algorithm << ": decomposition\n";
    out["decomposition"] = decomposition_run(node, dir, o, dir);
  }
  if (o.scaling && !o.large_only) {
    std::cerr << "hotpath_bench: " << algorithm << ": scaling\n";
    out["scaling"] = scaling_run(node, reference, o, dir);
  }
  // RSA: the openssl cms CLI cannot decrypt for an EC key on SoftHSM2 (SPEC §12).
  if (o.large && algorithm == "rsa-2048") {
    std::cerr << "hotpath_bench: " << algorithm << ": large mail\n";
    out["large_mail"] = large_mail_run(node, LargeMailSetup{dir, openssl_conf, keys});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--engine-probe") {
    return engine_probe_main(argv[2], static_cast<unsigned>(std::stoul(argv[3])),
                             std::stod(argv[4]));
  }
  const Options o = parse(argc, argv);
  try {
    smime::test::TempDir scratch;
    const auto& token = smime::test::softhsm_home();
    const std::string openssl_conf =
        write_provider_config(scratch.file("openssl-pkcs11.cnf"), SMIME_PROVIDER_PATH,
                              SMIME_TEST_SOFTHSM_MODULE, (token / "user.pin").string());
    json report;
    report["cores"] = cores();
    report["seconds_per_run"] = o.seconds;
    report["load_generator"] = "wrk -t1 (a process of its own), keep-alive TLS";
    report["message"] = "1 KB text/plain unless said";
    for (const auto& algorithm : o.algorithms) {
      report["algorithms"][algorithm] = algorithm_run(algorithm, o, scratch, openssl_conf);
    }
    std::ofstream(o.json_file) << report.dump(2) << "\n";
    std::cout << report.dump(2) << "\n";
    std::fflush(stdout);
    std::_Exit(0);  // the provider's token is torn down by the exit (no-deinit)
  } catch (const std::exception& e) {
    std::cerr << "hotpath_bench: " << e.what() << "\n";
    return 1;
  }
}
