// smimectl apitoken create | list | revoke: bearer tokens for smimed's API. The secret is
// printed once, at creation; the database keeps only its SHA-256.
#include <ctime>
#include <iomanip>
#include <iostream>

#include "audited.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "smime/common/error.hpp"
#include "smime/store/api_token_store.hpp"

namespace smimectl {
namespace {

std::unique_ptr<smime::store::ApiTokenStore> open_tokens(AppContext& ctx) {
  ctx.store();  // creates (0600) and migrates the database first
  return smime::store::open_sqlite_api_token_store(ctx.config().home / "smime.db");
}

std::string when(const std::optional<std::int64_t>& t) {
  if (!t) return "-";
  std::time_t tt = static_cast<std::time_t>(*t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

nlohmann::json to_json(const smime::store::ApiToken& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", std::string(smime::store::to_string(t.role))},
          {"created_at", t.created_at},
          {"last_used_at", t.last_used_at ? nlohmann::json(*t.last_used_at) : nullptr},
          {"revoked_at", t.revoked_at ? nlohmann::json(*t.revoked_at) : nullptr},
          {"revoked", t.revoked_at.has_value()}};
}

void apitoken_create(AppContext& ctx, const std::string& role_name, const std::string& name) {
  const auto role = smime::store::parse_api_role(role_name);
  if (!role) {
    throw smime::Error(smime::ErrorCode::usage,
                       "Unknown role '" + role_name + "': use admin, operator or auditor");
  }
  std::optional<smime::store::CreatedApiToken> made;
  audited(ctx, "apitoken.create", [&](smime::audit::AuditEvent& event) {
    event.detail = "token '" + name + "' role " + role_name;
    made = open_tokens(ctx)->create(name, *role);
    event.detail = "token " + std::to_string(made->token.id) + " '" + name + "' role " + role_name;
  });
  const smime::store::CreatedApiToken& created = *made;
  nlohmann::json result = to_json(created.token);
  result["secret"] = std::string(created.secret.view());
  emit(ctx, result, [&](std::ostream& out) {
    out << "API token " << created.token.id << " '" << name << "' (" << role_name
        << ") created. The secret is shown only now:\n"
        << created.secret.view() << "\n";
  });
}

void apitoken_list(AppContext& ctx) {
  const auto tokens = open_tokens(ctx)->list();
  nlohmann::json result = nlohmann::json::array();
  for (const auto& t : tokens) result.push_back(to_json(t));
  emit(ctx, result, [&](std::ostream& out) {
    if (tokens.empty()) {
      out << "No API tokens\n";
      return;
    }
    out << std::left << std::setw(6) << "ID" << std::setw(10) << "ROLE" << std::setw(18)
        << "CREATED" << std::setw(18) << "LAST USED" << std::setw(18) << "REVOKED"
        << "NAME\n";
    for (const auto& t : tokens) {
      out << std::left << std::setw(6) << t.id << std::setw(10) << smime::store::to_string(t.role)
          << std::setw(18) << when(t.created_at) << std::setw(18) << when(t.last_used_at)
          << std::setw(18) << when(t.revoked_at) << t.name << "\n";
    }
  });
}

void apitoken_revoke(AppContext& ctx, std::int64_t id) {
  audited(ctx, "apitoken.revoke", [&](smime::audit::AuditEvent& event) {
    event.detail = "token " + std::to_string(id);
    if (!open_tokens(ctx)->revoke(id)) {
      throw smime::Error(smime::ErrorCode::not_found, "No API token with id " + std::to_string(id));
    }
  });
  emit(ctx, {{"revoked", id}},
       [&](std::ostream& out) { out << "Revoked API token " << id << "\n"; });
}

}  // namespace

void add_apitoken_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* apitoken = app.add_subcommand("apitoken", "Bearer tokens for the HTTPS API");
  apitoken->require_subcommand(1);

  auto role = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto* create = apitoken->add_subcommand("create", "Create a token (the secret is printed once)");
  create->add_option("--role", *role, "admin|operator|auditor")->required();
  create->add_option("--name", *name, "What the token is for")->required();
  create->callback([context, role, name] { apitoken_create(context(), *role, *name); });

  apitoken->add_subcommand("list", "List tokens (never their secrets)")->callback([context] {
    apitoken_list(context());
  });

  auto id = std::make_shared<std::int64_t>(0);
  auto* revoke = apitoken->add_subcommand("revoke", "Revoke a token");
  revoke->add_option("ID", *id, "Token id")->required();
  revoke->callback([context, id] { apitoken_revoke(context(), *id); });
}

}  // namespace smimectl
