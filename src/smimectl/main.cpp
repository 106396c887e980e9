// smimectl: local administration of the appliance. Talks to the token and the SQLite file
// directly (through the use cases of smime_app), so it works before any API token exists.
// Exit codes: 0 done, 1 operation failed (message on stderr), 2 usage error.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "app_context.hpp"
#include "commands.hpp"
#include "smime/common/config.hpp"
#include "smime/common/error.hpp"
#include "smime/common/logging.hpp"

namespace {

int report(const smime::Error& e, bool json, bool verbose) {
  std::cerr << "smimectl: " << (verbose ? e.detail() : std::string(e.what())) << "\n";
  if (json) {
    nlohmann::json j = {
        {"error", {{"code", std::string(smime::to_string(e.code()))}, {"message", e.what()}}}};
    std::cout << j.dump(2) << "\n";
  }
  return e.code() == smime::ErrorCode::usage ? 2 : 1;
}

}  // namespace

static int run(int argc, char** argv) {
  CLI::App app{"smimectl - administration of the S/MIME appliance"};
  app.require_subcommand(1);
  std::optional<std::string> home_flag;
  std::optional<std::string> config_flag;
  bool json = false;
  bool verbose = false;
  app.add_option("--home", home_flag, "State directory (default $SMIME_HOME, else ./var)");
  app.add_option("--config", config_flag, "Configuration file (default <home>/smime.toml)");
  app.add_flag("--json", json, "Machine-readable output");
  app.add_flag("-v,--verbose", verbose, "Log details to stderr");

  std::unique_ptr<smimectl::AppContext> context;
  smimectl::ContextFactory get_context = [&]() -> smimectl::AppContext& {
    if (!context) {
      auto home = smime::resolve_home(home_flag);
      std::optional<std::filesystem::path> config_file;
      if (config_flag) config_file = *config_flag;
      smime::AppConfig config = smime::load_config(home, config_file);
      smime::init_logging(verbose ? "debug" : config.log_level);
      context = std::make_unique<smimectl::AppContext>(std::move(config), json);
    }
    return *context;
  };
  smimectl::add_token_commands(app, get_context);
  smimectl::add_key_commands(app, get_context);
  smimectl::add_cert_commands(app, get_context);
  smimectl::add_group_commands(app, get_context);
  smimectl::add_crl_commands(app, get_context);
  smimectl::add_db_commands(app, get_context);
  smimectl::add_message_commands(app, get_context);
  smimectl::add_apitoken_commands(app, get_context);
  smimectl::add_log_commands(app, get_context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const smime::Error& e) {
    return report(e, json, verbose);
  } catch (const smimectl::ReportedFailure& e) {
    std::cerr << "smimectl: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    return report(smime::Error(smime::ErrorCode::internal, e.what()), json, verbose);
  }
  return 0;
}

int main(int argc, char** argv) {
  // A write over the file size limit must fail (EFBIG: the database reports a full disk) rather
  // than end the process.
  std::signal(SIGXFSZ, SIG_IGN);
  // A network HSM's client library may write to a socket its server closed: an error, not
  // the end of the process.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (...) {  // nothing may escape main, not even a failure to set up the parser
    std::cerr << "smimectl: internal error\n";
    return 1;
  }
}
