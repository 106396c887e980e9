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

namespace {

std::string revocation_text(const std::optional<bool>& hard) {
  return hard ? std::string(store::revocation_policy_name(*hard)) : "the appliance's";
}

std::string sha1_text(const std::optional<bool>& reject) {
  if (!reject) return "the appliance's";
  return *reject ? "rejected" : "weak";
}

// What the audit entry says of the policy: each setting as it ends up, and what it was before
// when it changes.
std::string policy_detail(const store::GroupRecord& after,
                          const std::optional<store::GroupRecord>& before) {
  std::string text = ", revocation " + revocation_text(after.revocation_hard);
  if (before && before->revocation_hard != after.revocation_hard) {
    text += " (was " + revocation_text(before->revocation_hard) + ")";
  }
  text += ", SHA-1 " + sha1_text(after.reject_sha1);
  if (before && before->reject_sha1 != after.reject_sha1) {
    text += " (was " + sha1_text(before->reject_sha1) + ")";
  }
  return text;
}

}  // namespace

GroupSet GroupUseCases::set(const Caller& caller, const GroupChange& change) {
  audit::AuditEvent event = detail::admin_event(caller, audit::operation::group_set);
  event.addresses = {change.email};
  event.detail = "group " + change.name + ", default " + std::string(to_string(change.behaviour));
  GroupSet result;
  detail::audited_change(deps_.audit, event, [&](const audit::AuditSink::WriteEntry&) {
    store::require_valid_name("A group name", change.name);
    store::require_valid_address(change.email);
    const std::optional<store::GroupRecord> before = deps_.store.group(change.name);
    result.created = !before.has_value();
    store::GroupRecord group{change.name, change.email, change.behaviour, 0, 0};
    // Unset in the change: as it was (a new group: the appliance's).
    if (before) {
      group.revocation_hard = before->revocation_hard;
      group.reject_sha1 = before->reject_sha1;
    }
    if (change.revocation_hard) group.revocation_hard = *change.revocation_hard;
    if (change.reject_sha1) group.reject_sha1 = *change.reject_sha1;
    event.detail += policy_detail(group, before);
    deps_.store.upsert_group(group);
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
