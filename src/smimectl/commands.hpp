// Registration of smimectl's command groups (SPEC §13). Each callback runs after the whole
// command line is parsed, so global options (--home, --json) are known.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>

#include "app_context.hpp"

namespace smimectl {

using ContextFactory = std::function<AppContext&()>;

// A failure whose details the command already printed (e.g. an import report): main only
// sets exit code 1 and writes the summary to stderr.
struct ReportedFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void add_token_commands(CLI::App& app, const ContextFactory& context);
void add_key_commands(CLI::App& app, const ContextFactory& context);
void add_cert_commands(CLI::App& app, const ContextFactory& context);
void add_group_commands(CLI::App& app, const ContextFactory& context);
void add_crl_commands(CLI::App& app, const ContextFactory& context);
void add_db_commands(CLI::App& app, const ContextFactory& context);
void add_message_commands(CLI::App& app, const ContextFactory& context);
void add_apitoken_commands(CLI::App& app, const ContextFactory& context);
void add_log_commands(CLI::App& app, const ContextFactory& context);

}  // namespace smimectl
