// The appliance's persistent store: certificates, groups, CRLs, the store's revision and the
// token keys the appliance reserves (API tokens: api_token_store.hpp; the audit log:
// smime/audit). SQLite is the embedded default (sqlite_store.hpp); a PostgreSQL implementation
// for multi-node deployments can implement the same interface.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smime/store/records.hpp"

namespace smime::store {

// The one question certificate verification asks the store: was this certificate revoked?
class RevocationIndex {
 public:
  virtual ~RevocationIndex() = default;
  // The revocation of (issuer, serial) by any stored CRL of that issuer.
  virtual std::optional<RevokedEntry> revocation(std::string_view issuer,
                                                 std::string_view serial) = 0;
};

class Store : public RevocationIndex {
 public:
  // Runs body in one transaction: committed when body returns, rolled back when it throws
  // (the exception propagates). Calls made by body on this Store join that transaction.
  virtual void in_transaction(const std::function<void()>& body) = 0;

  // ---- certificates ----
  // Throws Error(conflict, "Fingerprint already taken") on a duplicate SHA-256.
  virtual CertificateRecord insert_certificate(const CertificateRecord& record) = 0;
  // By full fingerprint or a unique prefix of at least 8 hex digits. nullopt when none;
  // Error(conflict) naming the prefix when it is ambiguous; Error(invalid_input) when the
  // prefix is shorter than 8 or not hex.
  virtual std::optional<CertificateRecord> certificate(std::string_view fingerprint) = 0;
  // Newest not_before first.
  virtual std::vector<CertificateRecord> find_certificates(const CertificateQuery& query) = 0;
  // Records (or clears, with nullopt) the token key of a certificate. False when no such row.
  virtual bool set_certificate_key(std::string_view sha256,
                                   const std::optional<std::string>& key_id, bool exportable) = 0;
  virtual bool delete_certificate(std::string_view sha256) = 0;
  // Makes the certificate a trust anchor or takes that away. False when no such row.
  virtual bool set_certificate_trust(std::string_view sha256, bool trusted) = 0;

  // ---- announced capabilities (SMIMECapabilities of verified signed mail) ----
  // Records what the signer of a verified message announced. Replaces the recorded list when
  // the new signing time is not older and the list differs; changes nothing when the list is
  // the same, the recorded one is newer, or the certificate is not stored. True when it wrote.
  virtual bool record_capabilities(const CapabilitiesRecord& record) = 0;
  // nullopt when nothing is recorded for that certificate (full fingerprint).
  virtual std::optional<CapabilitiesRecord> capabilities(std::string_view sha256) = 0;

  // ---- groups ----
  virtual void upsert_group(const GroupRecord& group) = 0;
  virtual std::optional<GroupRecord> group(std::string_view name) = 0;
  virtual std::vector<GroupRecord> list_groups() = 0;
  virtual bool delete_group(std::string_view name) = 0;

  // ---- CRLs ----
  // Stores a CRL with its revoked entries. A CRL from the same issuer replaces an older one
  // (by this_update); an older or equal one is refused with Error(conflict).
  virtual CrlRecord insert_crl(const CrlRecord& crl, const std::vector<RevokedEntry>& revoked) = 0;
  virtual std::vector<CrlRecord> list_crls() = 0;

  // ---- change detection ----
  // Grows with every committed change of certificates or CRLs, by any process.
  virtual std::int64_t revision() = 0;

  // ---- token keys the appliance itself uses ----
  // Records that the key with this CKA_ID serves the appliance (smimed's TLS key): it must
  // not be deleted through the administration. Recording it again keeps the first time.
  virtual void reserve_key(std::string_view key_id, std::string_view purpose) = 0;
  // key id -> purpose
  virtual std::vector<std::pair<std::string, std::string>> reserved_keys() = 0;

  // ---- maintenance ----
  // Writes (and commits) one small row: fails with a storage Error when the database cannot
  // take a write right now (full disk, read-only file or filesystem, lock held too long).
  virtual void probe_writable() = 0;
  virtual int schema_version() = 0;
  // Online, consistent copy of the whole database to `destination` (must not exist).
  virtual void backup(const std::filesystem::path& destination) = 0;
};

std::string_view to_string(DefaultBehaviour behaviour);
std::optional<DefaultBehaviour> parse_default_behaviour(std::string_view text);
// A group's revocation policy as stored and shown: "hard" (true) or "soft" (false).
std::string_view revocation_policy_name(bool hard);
std::optional<bool> parse_revocation_policy(std::string_view text);

}  // namespace smime::store
