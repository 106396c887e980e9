// smimectl group set | list | delete
#include <iostream>

#include "audited.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "smime/common/error.hpp"

namespace smimectl {
namespace {

nlohmann::json to_json(const smime::store::GroupRecord& g) {
  return {{"name", g.name},
          {"email", g.email},
          {"default", std::string(smime::store::to_string(g.behaviour))}};
}

void group_set(AppContext& ctx, const std::string& name, const std::string& email,
               const std::string& behaviour) {
  auto parsed = smime::store::parse_default_behaviour(behaviour);
  if (!parsed) {
    throw smime::Error(smime::ErrorCode::usage, "Unknown default '" + behaviour +
                                                    "': use sign-encrypt, sign, encrypt or none");
  }
  if (email.find('@') == std::string::npos) {
    throw smime::Error(smime::ErrorCode::usage, "'" + email + "' is not an email address");
  }
  smime::store::GroupRecord group{name, email, *parsed, 0, 0};
  audited(ctx, "group.set", [&](smime::audit::AuditEvent& event) {
    event.addresses = {email};
    event.detail = "group " + name + ", default " + behaviour;
    ctx.store().upsert_group(group);
  });
  emit(ctx, to_json(group), [&](std::ostream& out) {
    out << "Group " << name << ": " << email << ", default " << behaviour << "\n";
  });
}

void group_list(AppContext& ctx) {
  auto groups = ctx.store().list_groups();
  nlohmann::json result = nlohmann::json::array();
  for (const auto& g : groups) result.push_back(to_json(g));
  emit(ctx, result, [&](std::ostream& out) {
    if (groups.empty()) out << "No groups\n";
    for (const auto& g : groups) {
      out << g.name << "  " << g.email << "  " << smime::store::to_string(g.behaviour) << "\n";
    }
  });
}

void group_delete(AppContext& ctx, const std::string& name) {
  audited(ctx, "group.delete", [&](smime::audit::AuditEvent& event) {
    event.detail = "group " + name;
    if (!ctx.store().delete_group(name)) {
      throw smime::Error(smime::ErrorCode::not_found, "No group named " + name);
    }
  });
  emit(ctx, {{"deleted", name}},
       [&](std::ostream& out) { out << "Deleted group " << name << "\n"; });
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
  set->callback(
      [context, name, email, behaviour] { group_set(context(), *name, *email, *behaviour); });

  group->add_subcommand("list", "List groups")->callback([context] { group_list(context()); });

  auto del_name = std::make_shared<std::string>();
  auto* del = group->add_subcommand("delete", "Delete a group");
  del->add_option("NAME", *del_name)->required();
  del->callback([context, del_name] { group_delete(context(), *del_name); });
}

}  // namespace smimectl
