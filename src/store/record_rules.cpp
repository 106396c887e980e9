#include "record_rules.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/common/text.hpp"
#include "smime/store/api_token_store.hpp"

namespace smime::store {

namespace {
constexpr std::size_t kApiTokenSecretDigits = 64;
}  // namespace

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += ',';
    }
    out += item;
  }
  return out;
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    out.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return out;
}

std::optional<std::string> normalise_hex(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':') {
      continue;
    }
    if (hex_digit_value(c) < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string full_fingerprint(std::string_view sha256) {
  auto hex = normalise_hex(sha256);
  if (!hex || hex->size() != kFingerprintDigits) {
    throw Error(ErrorCode::invalid_input,
                "A SHA-256 fingerprint is 64 hex digits, not \"" + std::string(sha256) + "\"");
  }
  return *hex;
}

std::string lookup_prefix(std::string_view fingerprint) {
  const auto hex = normalise_hex(fingerprint);
  if (!hex || hex->size() < kMinPrefixDigits || hex->size() > kFingerprintDigits) {
    const std::string given(fingerprint);
    throw Error(ErrorCode::invalid_input,
                "A fingerprint or its prefix needs 8 to 64 hex digits, not \"" + given + "\"");
  }
  return *hex;
}

std::vector<std::string> normalise_emails(const std::vector<std::string>& emails) {
  std::vector<std::string> out;
  for (const auto& email : emails) {
    std::string lower = ascii_lower(email);
    if (!lower.empty() && std::find(out.begin(), out.end(), lower) == out.end()) {
      out.push_back(std::move(lower));
    }
  }
  return out;
}

CertificateRecord normalised_certificate(const CertificateRecord& record) {
  CertificateRecord stored = record;
  stored.sha256 = full_fingerprint(record.sha256);
  stored.sha1 = ascii_lower(record.sha1);
  stored.serial = ascii_lower(record.serial);
  stored.subject_key_id = ascii_lower(record.subject_key_id);
  stored.authority_key_id = ascii_lower(record.authority_key_id);
  stored.emails = normalise_emails(record.emails);
  return stored;
}

std::optional<std::string> query_prefix(const CertificateQuery& query) {
  if (query.limit < 0) {
    throw Error(ErrorCode::invalid_input, "A certificate query limit cannot be negative");
  }
  if (query.fingerprint_prefix.empty()) return std::nullopt;
  std::optional<std::string> prefix = normalise_hex(query.fingerprint_prefix);
  if (!prefix || prefix->size() > kFingerprintDigits) {
    throw Error(ErrorCode::invalid_input,
                "Not a fingerprint prefix: \"" + query.fingerprint_prefix + "\"");
  }
  return prefix;
}

bool well_formed_api_token_secret(std::string_view secret) {
  if (secret.size() != kApiTokenPrefix.size() + kApiTokenSecretDigits) return false;
  if (secret.substr(0, kApiTokenPrefix.size()) != kApiTokenPrefix) return false;
  return std::all_of(secret.begin() + kApiTokenPrefix.size(), secret.end(),
                     [](char c) { return hex_digit_value(c) >= 0; });
}

bool same_secret_hash(std::string_view stored, std::string_view hash) noexcept {
  return stored.size() == hash.size() &&
         CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) == 0;
}

}  // namespace smime::store
