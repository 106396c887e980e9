// smimectl token init | token status, db backup | db migrate | db copy
#include <iomanip>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "output.hpp"
#include "smime/app/json_views.hpp"
#include "smime/common/error.hpp"
#include "smime/pkcs11/token_report.hpp"
#include "smime/provisioning/dev_token.hpp"

namespace smimectl {
namespace {

void token_init(AppContext& ctx, const std::string& label) {
  const auto& cfg = ctx.config();
  smime::provisioning::DevToken dev =
      smime::provisioning::init_dev_token(cfg.home, label, cfg.token.module);
  nlohmann::json result = {{"label", dev.label},
                           {"serial", dev.serial},
                           {"softhsm_conf", dev.softhsm_conf.string()},
                           {"user_pin_file", dev.user_pin_file.string()},
                           {"so_pin_file", dev.so_pin_file.string()}};
  emit(ctx, result, [&](std::ostream& out) {
    out << "Initialised SoftHSM token '" << dev.label << "' (serial " << dev.serial << ")\n"
        << "  configuration: " << dev.softhsm_conf.string() << "\n"
        << "  user PIN file: " << dev.user_pin_file.string() << " (mode 0600)\n"
        << "  SO PIN file:   " << dev.so_pin_file.string() << " (mode 0600)\n";
  });
}

void print_status(std::ostream& out, const smime::pkcs11::TokenReport& report) {
  const smime::pkcs11::TokenDescription& d = report.description;
  const smime::pkcs11::TokenCapabilities& caps = report.capabilities;
  out << "Module:   " << report.module << " (" << d.module_description << " " << d.module_version
      << ")\n"
      << "Token:    '" << d.label << "' serial " << d.serial << " (" << d.manufacturer << " "
      << d.model << ")\n"
      << "PIN:      " << report.pin_source
      << (d.user_pin_locked      ? " [LOCKED]"
          : d.user_pin_final_try ? " [final try]"
                                 : "")
      << "\n";
  if (!report.login_error) {
    out << "Login:    ok\nKeys:     " << report.private_keys.value_or(0) << " private key(s)\n";
  } else {
    out << "Login:    FAILED: " << report.login_error->what() << "\n";
  }
  out << "Mechanisms: RSA v1.5 " << (caps.rsa_pkcs ? "yes" : "no") << ", PSS "
      << (caps.rsa_pss ? "yes" : "no") << ", OAEP " << (caps.rsa_oaep ? "yes" : "no") << ", ECDSA "
      << (caps.ecdsa ? "yes" : "no") << ", ECDH " << (caps.ecdh_derive ? "yes" : "no") << "\n";
  if (caps.oaep_sha256 || caps.ecdh_kdf) {
    out << "Software completion: RSA-OAEP-SHA256 "
        << (caps.needs_oaep_completion() ? "needed" : "not needed") << ", ECDH KDF "
        << (caps.needs_ecdh_completion() ? "needed" : "not needed") << "\n";
  }
}

void token_status(AppContext& ctx, bool probe) {
  const smime::pkcs11::TokenReport report = ctx.use_cases().token.status(probe);
  emit(ctx, smime::pkcs11::to_json(report), [&](std::ostream& out) { print_status(out, report); });
  if (report.login_error) throw *report.login_error;
}

void print_copy(std::ostream& out, const smime::app::DatabaseCopy& copied) {
  out << "Copied " << copied.copy.source.string() << " (SQLite schema "
      << copied.copy.source_schema_version << ") to PostgreSQL (schema "
      << copied.copy.target_schema_version << "):\n";
  for (const auto& table : copied.copy.tables) {
    out << "  " << std::left << std::setw(22) << table.table << table.rows << "\n";
  }
  out << "Audit chain verified on PostgreSQL: head " << copied.target.last_id << ":"
      << copied.target.head_hash << " (" << copied.target.entries
      << " entries), as in SQLite; the copy is recorded as db.copy.\n"
      << "Next: set [store] url (or SMIME_STORE_URL) to this database, then start smimed.\n";
}

void db_copy(AppContext& ctx, const std::string& url) {
  // The home's SQLite file, whatever [store] url says. The application is not opened: the
  // file is neither created nor migrated on the way.
  const smime::app::DatabaseCopy copied =
      smime::app::copy_sqlite_to_postgres(ctx.config().home / "smime.db", url, ctx.caller());
  emit(ctx, smime::app::to_json(copied), [&](std::ostream& out) { print_copy(out, copied); });
}

}  // namespace

void add_token_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* token = app.add_subcommand("token", "Token provisioning and status");
  token->require_subcommand(1);

  auto* init =
      token->add_subcommand("init", "Create the dev/demo SoftHSM token in the home directory");
  auto label = std::make_shared<std::string>("smime");
  init->add_option("--label", *label, "Token label")->capture_default_str();
  init->callback([context, label] { token_init(context(), *label); });

  auto* status = token->add_subcommand("status", "Show module, token, login state and mechanisms");
  auto probe = std::make_shared<bool>(false);
  status->add_flag("--probe", *probe,
                   "Also try RSA-OAEP-SHA256 and ECDH KDFs with temporary session keys");
  status->callback([context, probe] { token_status(context(), *probe); });
}

void add_db_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* db = app.add_subcommand("db", "Database maintenance");
  db->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* backup = db->add_subcommand("backup", "Online, consistent copy of the database");
  backup->add_option("FILE", *file, "Destination (must not exist)")->required();
  backup->callback([context, file] {
    AppContext& ctx = context();
    smime::store::Store& store = ctx.application().store();
    store.backup(*file);
    emit(ctx, {{"backup", *file}, {"schema_version", store.schema_version()}},
         [&](std::ostream& out) { out << "Database copied to " << *file << "\n"; });
  });
  // Opening the store migrates it (under a lock, so nodes starting at once are safe); this
  // does only that, before the nodes are started on a new version.
  auto* migrate = db->add_subcommand("migrate", "Bring the database's schema to this version");
  migrate->callback([context] {
    AppContext& ctx = context();
    const int version = ctx.application().store().schema_version();
    const std::string where = ctx.config().store.postgres() ? "PostgreSQL" : "SQLite";
    emit(ctx, {{"schema_version", version}, {"database", where}}, [&](std::ostream& out) {
      out << where << " database at schema version " << version << "\n";
    });
  });
  auto url = std::make_shared<std::string>();
  auto* copy = db->add_subcommand(
      "copy", "Copy the home's SQLite database into a new, empty PostgreSQL database");
  copy->add_option("--to", *url, "libpq URL of the target (postgresql://...)")->required();
  copy->callback([context, url] { db_copy(context(), *url); });
}

}  // namespace smimectl
