#include "hash_chain.hpp"

#include <openssl/evp.h>

#include <array>

#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"

namespace smime::audit::detail {
namespace {

// Changing the encoding means a new tag; verify() would then have to know both.
constexpr std::string_view kTag = "smime-audit-v1";

void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void put_text(std::string& out, std::string_view text) {
  put_u64(out, text.size());
  out.append(text);
}

void put_list(std::string& out, const std::vector<std::string>& items) {
  put_u64(out, items.size());
  for (const std::string& item : items) put_text(out, item);
}

}  // namespace

std::string canonical_encoding(std::int64_t id, const AuditEvent& event,
                               std::string_view previous_hash) {
  std::string out;
  out.reserve(256 + event.detail.size() + event.signatures.size());
  put_text(out, kTag);
  put_u64(out, static_cast<std::uint64_t>(id));
  put_u64(out, static_cast<std::uint64_t>(event.at_ms));
  put_text(out, event.actor);
  put_text(out, to_string(event.direction));
  put_text(out, event.operation);
  put_text(out, to_string(event.status));
  put_text(out, event.message_id);
  put_list(out, event.addresses);
  put_list(out, event.fingerprints);
  put_text(out, event.detail);
  put_list(out, event.needs);
  put_text(out, previous_hash);
  // Added after the rest, and only when there is one, so that every entry recorded before
  // the field existed keeps its hash.
  if (!event.signatures.empty()) put_text(out, event.signatures);
  return out;
}

std::string entry_hash(std::int64_t id, const AuditEvent& event, std::string_view previous_hash) {
  const std::string bytes = canonical_encoding(id, event, previous_hash);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot hash an audit entry");
  }
  return to_hex(std::span<const unsigned char>(digest.data(), size));
}

}  // namespace smime::audit::detail
