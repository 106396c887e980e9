// Where the appliance reports what it did (SPEC §9): every sign, verify, encrypt, decrypt and
// every administrative change. The application layer records each operation before its
// front end acknowledges it; the hash-chained SQLite audit log implements this interface.
//
// Contract for implementations: record() returns only once the entry is durable, and
// record_with() commits a change together with its entry. If they throw (smime::Error), the
// request is answered with an error instead of being acknowledged, so no acknowledged
// operation is ever without its record. They are called concurrently from worker threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smime::audit {

enum class Direction { incoming, outgoing, admin };
enum class Status { ok, failed };

inline std::string_view to_string(Direction direction) noexcept {
  switch (direction) {
    case Direction::incoming:
      return "incoming";
    case Direction::outgoing:
      return "outgoing";
    case Direction::admin:
      return "admin";
  }
  return "admin";
}

inline std::string_view to_string(Status status) noexcept {
  return status == Status::ok ? "ok" : "failed";
}

inline std::optional<Direction> parse_direction(std::string_view text) noexcept {
  for (Direction d : {Direction::incoming, Direction::outgoing, Direction::admin}) {
    if (text == to_string(d)) return d;
  }
  return std::nullopt;
}

inline std::optional<Status> parse_status(std::string_view text) noexcept {
  for (Status s : {Status::ok, Status::failed}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

// One entry of AuditEvent::needs in structured form: a certificate or key whose absence made
// an incoming operation fail (the application layer fills it from the engine's MissingItem,
// field by field). The audit log checks needs in this form against the store to mark
// failed entries retryable once what they needed has been imported.
struct Need {
  // "key": an organisation private key for a recipient certificate (a RecipientInfo);
  // "certificate": a signer certificate, or an issuer (CA) certificate.
  std::string kind;
  std::string issuer;          // one-line DN, as CertificateRecord::issuer
  std::string serial;          // lowercase hex
  std::string subject_key_id;  // lowercase hex
  std::string subject;         // one-line DN (the missing CA certificate's subject)

  // The text form stored in AuditEvent::needs:
  //   "key issuer=CN=Org CA,O=Example;serial=1f;ski=ab12..."
  //   "certificate subject=CN=Root;ski=..."
  // kind, a space, then name=value parts joined by ';' (empty parts left out; '\' and ';'
  // inside values escaped with '\'). Names: issuer, serial, ski, subject.
  std::string to_string() const;
  bool operator==(const Need&) const = default;
};

// The structured form of a needs entry written by Need::to_string(); nullopt for any other
// text (free-form needs are kept and shown, but never make an entry retryable).
std::optional<Need> parse_need(std::string_view text);

struct AuditEvent {
  // The API token id (decimal, as stored in api_tokens.id), or "smimectl" for the CLI.
  std::string actor;
  Direction direction = Direction::admin;
  // "certificate.import", "certificate.delete", "key.generate", "message.sign", ...
  std::string operation;
  Status status = Status::ok;
  std::string message_id;                 // Message-ID of the mail, when there is one
  std::vector<std::string> addresses;     // email addresses involved
  std::vector<std::string> fingerprints;  // SHA-256 fingerprints of certificates involved
  std::string detail;                     // error message, or a short description
  // What the appliance would need to succeed (missing certificate or key identifiers:
  // addresses, fingerprints, issuer+serial), for retry support.
  // Entries written by Need::to_string() can be checked against the store (retryable).
  std::vector<std::string> needs;
  // An incoming message's signature layers as a JSON array, outermost first, in the shape of
  // the incoming answer's `signatures` (signer, checks, warnings); empty for other entries.
  // Opaque to the log: bounded in size when recorded, hashed only when not empty.
  std::string signatures;
  // Unix milliseconds of the operation; 0: the time record() is called.
  std::int64_t at_ms = 0;
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Durable on return (throws smime::Error when it could not be written).
  virtual void record(const AuditEvent& event) = 0;
  // An administrative change and its entry, all or nothing: runs `change` (which fills in
  // `event`) and writes the entry in one transaction of the database the change is made in.
  // When either fails, neither is committed and the exception propagates. `change` gets
  // `write_entry`: calling it writes the entry at that point, before a step outside the
  // database that cannot be undone (a key removed from the token), so that step only happens
  // once the entry could be written; otherwise the entry is written after `change` returns.
  // `change` must not call record() (the transaction holds the database's write lock).
  using WriteEntry = std::function<void()>;
  using Change = std::function<void(const WriteEntry& write_entry)>;
  virtual void record_with(AuditEvent& event, const Change& change) = 0;
  // Entries handed to record() and not yet durable (a metrics gauge).
  virtual std::size_t queue_depth() const noexcept { return 0; }
};

// Records nothing (tests that do not look at the audit trail).
class NullAuditSink final : public AuditSink {
 public:
  void record(const AuditEvent& /*event*/) override {}
  void record_with(AuditEvent& /*event*/, const Change& change) override {
    change([] {});
  }
};

}  // namespace smime::audit
