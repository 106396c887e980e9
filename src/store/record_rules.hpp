// The rules both store implementations (SQLite, PostgreSQL) apply to what they are given,
// before it reaches the database, so that both accept, normalise and refuse the same input
// with the same messages.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smime/store/records.hpp"

namespace smime::store {

inline constexpr std::size_t kFingerprintDigits = 64;
inline constexpr std::size_t kMinPrefixDigits = 8;

// Lists (key usages) are stored comma-separated: they are only ever read whole.
std::string join(const std::vector<std::string>& items);
std::vector<std::string> split(std::string_view list);

// Lowercase hex without the ':' separators openssl prints; nullopt when anything else is in it.
std::optional<std::string> normalise_hex(std::string_view text);
// A full SHA-256 fingerprint as lowercase hex; Error(invalid_input) for anything else.
std::string full_fingerprint(std::string_view sha256);
// The lowercase hex prefix Store::certificate() looks up: Error(invalid_input) unless it has
// 8 to 64 hex digits.
std::string lookup_prefix(std::string_view fingerprint);
// Lowercased, without empty entries and duplicates, in their original order.
std::vector<std::string> normalise_emails(const std::vector<std::string>& emails);
// A record as stored: fingerprint, hex fields and emails normalised.
CertificateRecord normalised_certificate(const CertificateRecord& record);

// Checks the limit of a query; its fingerprint prefix as lowercase hex (nullopt: none).
std::optional<std::string> query_prefix(const CertificateQuery& query);

// "smk_" + 64 hex digits: the only form authenticate() looks up.
bool well_formed_api_token_secret(std::string_view secret);
// authenticate() looks a token up by the SHA-256 of a 256-bit random secret, so the index walk
// can reveal at most something about hashes of guesses, never about a stored secret; the row
// found is then confirmed with this comparison in constant time.
bool same_secret_hash(std::string_view stored, std::string_view hash) noexcept;

}  // namespace smime::store
