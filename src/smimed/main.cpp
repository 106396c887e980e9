// smimed: the appliance's HTTPS server (SPEC §8, §13).
//   smimed [--home DIR] [--config FILE]     serves https://127.0.0.1:8443 by default
// Exit codes: 0 after a graceful stop (SIGTERM/SIGINT), 1 when it cannot start, 2 usage error.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <optional>

#include "smime/common/config.hpp"
#include "smime/common/error.hpp"
#include "smime/common/heap.hpp"
#include "smime/common/logging.hpp"
#include "smime/server/appliance.hpp"
#include "smime/server/server_settings.hpp"

// jemalloc's settings, read when it initialises (ignored under glibc's allocator): pages freed by
// a burst of large mail go back to the system within a second instead of ten.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "dirty_decay_ms:1000,muzzy_decay_ms:0";
}

static int run(int argc, char** argv) {
  CLI::App app{"smimed - the S/MIME appliance's HTTPS server"};
  std::optional<std::string> home_flag;
  std::optional<std::string> config_flag;
  bool verbose = false;
  app.add_option("--home", home_flag, "State directory (default $SMIME_HOME, else ./var)");
  app.add_option("--config", config_flag, "Configuration file (default <home>/smime.toml)");
  app.add_flag("-v,--verbose", verbose, "Log details to stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    const auto home = smime::resolve_home(home_flag);
    std::optional<std::filesystem::path> config_file;
    if (config_flag) config_file = *config_flag;
    smime::AppConfig config = smime::load_config(home, config_file);
    smime::init_logging(verbose ? "debug" : config.log_level);
    spdlog::debug("heap allocator: {}", smime::heap_is_jemalloc() ? "jemalloc" : "glibc");
    smime::server::ServerSettings settings = smime::server::load_server_settings(config);
    const std::string address = settings.listen_address;
    smime::server::Appliance appliance(std::move(config), std::move(settings));
    appliance.start();
    // Scripts and tests read the bound port (an ephemeral one with port = 0) from this line.
    std::cout << "smimed: listening on https://" << address << ":" << appliance.port() << std::endl;
    appliance.run();
    std::cout << "smimed: stopped" << std::endl;
    return 0;
  } catch (const smime::Error& e) {
    std::cerr << "smimed: " << (verbose ? e.detail() : std::string(e.what())) << "\n";
    return e.code() == smime::ErrorCode::usage ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "smimed: " << e.what() << "\n";
    return 1;
  }
}

int main(int argc, char** argv) {
  // A write over the file size limit must fail (EFBIG: the database reports a full disk) rather
  // than end the process.
  std::signal(SIGXFSZ, SIG_IGN);
  // Under glibc's allocator, request bodies up to body_limit come and go: with a fixed threshold
  // (glibc raises it after each large free otherwise) they are mapped and unmapped, never left
  // in the heap.
  if (!smime::heap_is_jemalloc()) mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  try {
    return run(argc, argv);
  } catch (...) {
    std::cerr << "smimed: internal error\n";
    return 1;
  }
}
