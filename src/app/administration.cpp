#include "smime/app/administration.hpp"

#include "audited.hpp"
#include "smime/audit/operations.hpp"
#include "smime/common/error.hpp"
#include "smime/store/names.hpp"

namespace smime::app {

// ---- groups ----

std::vector<store::GroupRecord> GroupUseCases::list() {
  return deps_.store.list_groups();
}

store::GroupRecord GroupUseCases::show(std::string_view name) {
  auto group = deps_.store.group(name);
  if (!group) throw Error(ErrorCode::not_found, "No group named " + std::string(name));
  return *group;
}

GroupSet GroupUseCases::set(const Caller& caller, const GroupChange& change) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::group_set);
  event.addresses = {change.email};
  event.detail = "group " + change.name + ", default " + std::string(to_string(change.behaviour));
  GroupSet result;
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
    store::require_valid_name("A group name", change.name);
    store::require_valid_address(change.email);
    result.created = !deps_.store.group(change.name).has_value();
    deps_.store.upsert_group({change.name, change.email, change.behaviour, 0, 0});
    auto stored = deps_.store.group(change.name);
    if (!stored) throw Error(ErrorCode::internal, "The group was not stored");
    result.group = *stored;
  });
  return result;
}

void GroupUseCases::remove(const Caller& caller, std::string_view name) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::group_delete);
  event.detail = "group " + std::string(name);
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
    if (!deps_.store.delete_group(name)) {
      throw Error(ErrorCode::not_found, "No group named " + std::string(name));
    }
  });
}

// ---- CRLs ----

std::vector<store::CrlRecord> CrlUseCases::list() {
  return deps_.store.list_crls();
}

store::CrlRecord CrlUseCases::import_crl(const Caller& caller, std::span<const unsigned char> input,
                                         std::string_view source) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::crl_import);
  event.detail = source.empty() ? "CRL" : "CRL file " + std::string(source);
  store::CrlRecord record;
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
    record = deps_.certificates.import_crl(input);
    event.fingerprints = {record.issuer_sha256};
    event.detail = "CRL of " + record.issuer + " number " + record.crl_number;
  });
  return record;
}

// ---- API tokens ----

std::vector<store::ApiToken> ApiTokenUseCases::list() {
  return deps_.api_tokens.list();
}

store::CreatedApiToken ApiTokenUseCases::create(const Caller& caller, std::string_view name,
                                                store::ApiRole role) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::apitoken_create);
  const std::string role_name(store::to_string(role));
  event.detail = "token '" + std::string(name) + "' role " + role_name;
  std::optional<store::CreatedApiToken> created;
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
    created = deps_.api_tokens.create(name, role);
    event.detail = "token " + std::to_string(created->token.id) + " '" + std::string(name) +
                   "' role " + role_name;
  });
  return std::move(*created);
}

void ApiTokenUseCases::revoke(const Caller& caller, std::int64_t id) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::apitoken_revoke);
  event.detail = "token " + std::to_string(id);
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
    if (!deps_.api_tokens.revoke(id)) {
      throw Error(ErrorCode::not_found, "No API token with id " + std::to_string(id));
    }
  });
}

}  // namespace smime::app
