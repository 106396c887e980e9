// smimectl db backup
#include <iostream>

#include "commands.hpp"
#include "output.hpp"

namespace smimectl {

void add_db_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* db = app.add_subcommand("db", "Database maintenance");
  db->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* backup = db->add_subcommand("backup", "Online, consistent copy of the database");
  backup->add_option("FILE", *file, "Destination (must not exist)")->required();
  backup->callback([context, file] {
    AppContext& ctx = context();
    ctx.store().backup(*file);
    emit(ctx, {{"backup", *file}, {"schema_version", ctx.store().schema_version()}},
         [&](std::ostream& out) { out << "Database copied to " << *file << "\n"; });
  });
}

}  // namespace smimectl
