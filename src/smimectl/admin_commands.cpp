// smimectl group set | list | show | delete, crl import | list, apitoken create | list | revoke
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "smime/app/administration.hpp"
#include "smime/app/json_views.hpp"
#include "smime/common/clock.hpp"
#include "smime/common/error.hpp"
#include "smime/store/names.hpp"

namespace smimectl {
namespace {

// The group's verification policy options: empty (not given) leaves it as it is, "appliance"
// returns to the appliance's [verification] setting.
struct PolicyOptions {
  std::string revocation;   // soft | hard | appliance
  std::string reject_sha1;  // yes | no | appliance
};

std::optional<std::optional<bool>> parse_choice(const std::string& given, const char* option,
                                                const char* on, const char* off) {
  if (given.empty()) return std::nullopt;
  using Choice = std::optional<std::optional<bool>>;
  if (given == "appliance") return Choice(std::in_place);
  if (given == on) return Choice(std::in_place, true);
  if (given == off) return Choice(std::in_place, false);
  throw smime::Error(smime::ErrorCode::usage, std::string("Unknown ") + option + " '" + given +
                                                  "': use " + off + ", " + on + " or appliance");
}

std::string policy_text(const smime::store::GroupRecord& g) {
  const std::string revocation =
      g.revocation_hard ? std::string(smime::store::revocation_policy_name(*g.revocation_hard))
                        : "appliance";
  const std::string sha1 = g.reject_sha1 ? (*g.reject_sha1 ? "rejected" : "weak") : "appliance";
  return "revocation " + revocation + ", SHA-1 " + sha1;
}

void group_set(AppContext& ctx, const std::string& name, const std::string& email,
               const std::string& behaviour, const PolicyOptions& policy) {
  const auto parsed = smime::store::parse_default_behaviour(behaviour);
  if (!parsed) {
    throw smime::Error(smime::ErrorCode::usage, "Unknown default '" + behaviour +
                                                    "': use sign-encrypt, sign, encrypt or none");
  }
  try {
    smime::store::require_valid_address(email);
  } catch (const smime::Error& e) {
    throw smime::Error(smime::ErrorCode::usage, e.what());  // a bad argument: nothing attempted
  }
  smime::app::GroupChange change{name, email, *parsed};
  change.revocation_hard = parse_choice(policy.revocation, "--revocation", "hard", "soft");
  change.reject_sha1 = parse_choice(policy.reject_sha1, "--reject-sha1", "yes", "no");
  const auto set = ctx.use_cases().groups.set(ctx.caller(), change);
  emit(ctx, smime::app::to_json(set.group), [&](std::ostream& out) {
    out << "Group " << set.group.name << ": " << set.group.email << ", default " << behaviour
        << ", " << policy_text(set.group) << (set.created ? " (new)" : "") << "\n";
  });
}

void group_list(AppContext& ctx) {
  const auto groups = ctx.use_cases().groups.list();
  nlohmann::json result = nlohmann::json::array();
  for (const auto& g : groups) result.push_back(smime::app::to_json(g));
  emit(ctx, result, [&](std::ostream& out) {
    if (groups.empty()) out << "No groups\n";
    for (const auto& g : groups) {
      out << g.name << "  " << g.email << "  " << smime::store::to_string(g.behaviour) << "  "
          << policy_text(g) << "\n";
    }
  });
}

void group_show(AppContext& ctx, const std::string& name) {
  const auto g = ctx.use_cases().groups.show(name);
  emit(ctx, smime::app::to_json(g), [&](std::ostream& out) {
    out << "Group " << g.name << ": " << g.email << ", default "
        << smime::store::to_string(g.behaviour) << ", " << policy_text(g) << "\n";
  });
}

void group_delete(AppContext& ctx, const std::string& name) {
  ctx.use_cases().groups.remove(ctx.caller(), name);
  emit(ctx, {{"deleted", name}},
       [&](std::ostream& out) { out << "Deleted group " << name << "\n"; });
}

void crl_import(AppContext& ctx, const std::string& file) {
  const auto record = ctx.use_cases().crls.import_crl(ctx.caller(), read_input_file(file), file);
  emit(ctx, smime::app::to_json(record),
       [&](std::ostream& out) { out << "Imported the CRL of " << record.issuer << "\n"; });
}

void crl_list(AppContext& ctx) {
  const auto crls = ctx.use_cases().crls.list();
  nlohmann::json result = nlohmann::json::array();
  for (const auto& c : crls) result.push_back(smime::app::to_json(c));
  emit(ctx, result, [&](std::ostream& out) {
    if (crls.empty()) out << "No CRLs\n";
    for (const auto& c : crls) out << c.issuer << "  number " << c.crl_number << "\n";
  });
}

std::string when(const std::optional<std::int64_t>& t) {
  return t ? smime::format_utc(*t, "%Y-%m-%d %H:%M") : "-";
}

void apitoken_create(AppContext& ctx, const std::string& role_name, const std::string& name) {
  const auto role = smime::store::parse_api_role(role_name);
  if (!role) {
    throw smime::Error(smime::ErrorCode::usage,
                       "Unknown role '" + role_name + "': use admin, operator or auditor");
  }
  const auto created = ctx.use_cases().api_tokens.create(ctx.caller(), name, *role);
  emit(ctx, smime::app::to_json(created), [&](std::ostream& out) {
    out << "API token " << created.token.id << " '" << name << "' (" << role_name
        << ") created. The secret is shown only now:\n"
        << created.secret.view() << "\n";
  });
}

void apitoken_list(AppContext& ctx) {
  const auto tokens = ctx.use_cases().api_tokens.list();
  nlohmann::json result = nlohmann::json::array();
  for (const auto& t : tokens) result.push_back(smime::app::to_json(t));
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
  ctx.use_cases().api_tokens.revoke(ctx.caller(), id);
  emit(ctx, {{"revoked", id}},
       [&](std::ostream& out) { out << "Revoked API token " << id << "\n"; });
}

}  // namespace

void add_group_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* group = app.add_subcommand("group", "Groups: sender address and default behaviour");
  group->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  auto email = std::make_shared<std::string>();
  auto behaviour = std::make_shared<std::string>("sign-encrypt");
  auto* set = group->add_subcommand("set", "Create or change a group");
  set->add_option("NAME", *name)->required();
  set->add_option("--email", *email, "The group's sender address")->required();
  set->add_option("--default", *behaviour, "sign-encrypt|sign|encrypt|none")->capture_default_str();
  auto policy = std::make_shared<PolicyOptions>();
  set->add_option("--revocation", policy->revocation,
                  "Unknown revocation status of incoming mail to the group: soft|hard|appliance "
                  "(not given: unchanged)");
  set->add_option("--reject-sha1", policy->reject_sha1,
                  "SHA-1 signatures of incoming mail to the group invalid: yes|no|appliance "
                  "(not given: unchanged)");
  set->callback([context, name, email, behaviour, policy] {
    group_set(context(), *name, *email, *behaviour, *policy);
  });

  group->add_subcommand("list", "List groups")->callback([context] { group_list(context()); });

  auto show_name = std::make_shared<std::string>();
  auto* show = group->add_subcommand("show", "Show a group");
  show->add_option("NAME", *show_name)->required();
  show->callback([context, show_name] { group_show(context(), *show_name); });

  auto del_name = std::make_shared<std::string>();
  auto* del = group->add_subcommand("delete", "Delete a group");
  del->add_option("NAME", *del_name)->required();
  del->callback([context, del_name] { group_delete(context(), *del_name); });
}

void add_crl_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* crl = app.add_subcommand("crl", "Certificate revocation lists");
  crl->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* import_cmd =
      crl->add_subcommand("import", "Import a CRL signed by a stored CA (PEM or DER)");
  import_cmd->add_option("FILE", *file)->required();
  import_cmd->callback([context, file] { crl_import(context(), *file); });
  crl->add_subcommand("list", "List CRLs")->callback([context] { crl_list(context()); });
}

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
