// Signed messages per second over smimed's HTTPS API with smimed in processes of its own (this
// program is only the load generator), on one SoftHSM2 token and with the same 1 KB message:
//   - one node on the SQLite store (the embedded default): the reference;
//   - one node on a PostgreSQL store (a server the bench starts in a temp directory);
//   - HAProxy in TCP mode over one and over two PostgreSQL nodes (the nodes share the token
//     and the database, as in README "Running several nodes").
// Every answer waits for its audit entry to be durable in that node's store.
//   nodes_bench [--seconds N] [--threads N (clients)] [--algorithm ec-p256|rsa-2048]
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "https_client.hpp"
#include "load.hpp"
#include "support/haproxy.hpp"
#include "support/postgres_server.hpp"
#include "support/smimed_process.hpp"
#include "support/softhsm_fixture.hpp"

namespace {

using smime::test::HttpsClient;
using smime::test::SmimedProcess;

using smime::bench::Options;

double sign_rate(unsigned short port, const std::string& secret, const Options& options,
                 double seconds) {
  return smime::bench::rate(options.threads, seconds, [port, &secret] {
    auto client = std::make_shared<HttpsClient>(port);
    return [client, &secret] {
      auto r = client->request(
          "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false", smime::bench::kSignedMessage,
          {{"Authorization", "Bearer " + secret}, {"Content-Type", "message/rfc822"}});
      return r.status == 200;
    };
  });
}

// After one second unmeasured: sessions opened, key handles and certificates cached.
double sign_rate(unsigned short port, const std::string& secret, const Options& options) {
  sign_rate(port, secret, options, 1.0);
  return sign_rate(port, secret, options, options.seconds);
}

// smimed on the shared bench token, with as many workers as there are cores.
std::unique_ptr<SmimedProcess> start_node(const std::filesystem::path& home,
                                          const std::string& store_url) {
  auto node = std::make_unique<SmimedProcess>(
      home, smime::test::softhsm_home(), "worker_threads = 0\nmax_connections_per_address = 256\n",
      store_url);
  node->start();
  return node;
}

double balanced_rate(const smime::test::TempDir& scratch, const std::string& name,
                     const std::vector<SmimedProcess*>& nodes, const Options& options) {
  std::vector<smime::test::BalancedNode> servers;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    servers.push_back({"n" + std::to_string(i), nodes[i]->port()});
  }
  smime::test::Haproxy balancer(scratch.path() / name, servers);
  balancer.start();
  for (const auto& server : servers) {
    if (!balancer.wait_for_status(server.name, "UP", 10'000)) {
      throw std::runtime_error("HAProxy does not see node " + server.name + " up");
    }
  }
  return sign_rate(balancer.port(), nodes.front()->admin_secret(), options);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = smime::bench::parse_options(
      argc, argv, 2 * std::max(2u, std::thread::hardware_concurrency()));
  try {
    smime::test::TempDir scratch;
    auto sqlite_node = start_node(scratch.path() / "sqlite", "");
    smime::bench::generate_org_key(sqlite_node->port(), sqlite_node->admin_secret(),
                                   options.algorithm);
    const double sqlite = sign_rate(sqlite_node->port(), sqlite_node->admin_secret(), options);
    sqlite_node.reset();

    const std::string url = smime::test::fresh_database_url();
    auto a = start_node(scratch.path() / "a", url);
    auto b = start_node(scratch.path() / "b", url);
    smime::bench::generate_org_key(a->port(), a->admin_secret(), options.algorithm);
    const double postgres = sign_rate(a->port(), a->admin_secret(), options);
    const double one = balanced_rate(scratch, "haproxy-1", {a.get()}, options);
    const double two = balanced_rate(scratch, "haproxy-2", {a.get(), b.get()}, options);
    std::printf(
        "nodes_sign %s (1 KB, %u keep-alive clients in the bench process, smimed in its own, "
        "%.0f s each): SQLite node %.0f msg/s, PostgreSQL node %.0f msg/s, HAProxy over one "
        "PostgreSQL node %.0f msg/s, over two %.0f msg/s; PostgreSQL/SQLite = %.3f, "
        "two nodes/one node = %.3f (%u cores)\n",
        options.algorithm.c_str(), options.threads, options.seconds, sqlite, postgres, one, two,
        postgres / sqlite, two / one, std::thread::hardware_concurrency());
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "nodes_bench: " << e.what() << "\n";
    return 1;
  }
}
