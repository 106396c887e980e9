// The operation names of audit entries (AuditEvent::operation), spelled once. The log stores and
// filters them as text ("certificate.import"), so these strings are part of its format.
#pragma once

#include <string_view>

namespace smime::audit::operation {

// Administrative changes (direction admin).
inline constexpr std::string_view certificate_import = "certificate.import";
inline constexpr std::string_view certificate_delete = "certificate.delete";
inline constexpr std::string_view certificate_trust = "certificate.trust";
// A signer certificate stored from a validly signed incoming message ([certificates] harvest).
inline constexpr std::string_view certificate_harvest = "certificate.harvest";
// The SMIMECapabilities a stored certificate's owner announced in verified signed mail changed.
inline constexpr std::string_view certificate_capabilities = "certificate.capabilities";
inline constexpr std::string_view key_generate = "key.generate";
inline constexpr std::string_view key_delete = "key.delete";
inline constexpr std::string_view key_import = "key.import";
inline constexpr std::string_view key_export = "key.export";
inline constexpr std::string_view group_set = "group.set";
inline constexpr std::string_view group_delete = "group.delete";
inline constexpr std::string_view crl_import = "crl.import";
inline constexpr std::string_view apitoken_create = "apitoken.create";
inline constexpr std::string_view apitoken_revoke = "apitoken.revoke";
// An SQLite appliance copied into this (PostgreSQL) database: its first own entry.
inline constexpr std::string_view db_copy = "db.copy";

// Outgoing messages, by what was done to them.
inline constexpr std::string_view message_sign = "message.sign";
inline constexpr std::string_view message_encrypt = "message.encrypt";
inline constexpr std::string_view message_sign_encrypt = "message.sign+encrypt";
inline constexpr std::string_view message_outgoing = "message.outgoing";  // neither, or failed

// Incoming messages, by what was found in them.
inline constexpr std::string_view message_verify = "message.verify";
inline constexpr std::string_view message_decrypt = "message.decrypt";
inline constexpr std::string_view message_decrypt_verify = "message.decrypt+verify";
inline constexpr std::string_view message_incoming = "message.incoming";  // neither, or failed

}  // namespace smime::audit::operation
