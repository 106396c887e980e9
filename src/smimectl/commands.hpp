// Registration of smimectl's command groups (SPEC §13). Each callback runs after the whole
// command line is parsed, so global options (--home, --json) are known.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "app_context.hpp"

namespace smimectl {

using ContextFactory = std::function<AppContext&()>;

void add_token_commands(CLI::App& app, const ContextFactory& context);
void add_key_commands(CLI::App& app, const ContextFactory& context);

}  // namespace smimectl
