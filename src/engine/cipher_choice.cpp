#include "cipher_choice.hpp"

#include <algorithm>

#include "cms/capabilities.hpp"

namespace smime::engine {
namespace {

constexpr std::size_t kNamedAddresses = 5;  // a reason names at most this many recipients

bool announced(const std::vector<std::string>& capabilities, std::string_view name) {
  return std::find(capabilities.begin(), capabilities.end(), name) != capabilities.end();
}

// The recorded announcement, else the certificate's extension.
void read_capabilities(store::Store& store, const CipherRecipient& recipient,
                       RecipientTransport& out) {
  if (recipient.own_key) {
    out.capabilities = cms::appliance_capabilities();
    out.source = "appliance";
    return;
  }
  if (auto recorded = store.capabilities(recipient.fingerprint)) {
    out.capabilities = std::move(recorded->capabilities);
    out.source = "message";
    return;
  }
  out.capabilities = cms::certificate_capabilities(recipient.certificate);
  out.source = out.capabilities.empty() ? "none" : "certificate";
}

// The recipient's first announced RSA-OAEP that we can produce (its preference order).
std::optional<KeyTransport> announced_oaep(const std::vector<std::string>& capabilities) {
  for (const std::string& name : capabilities) {
    if (name == "rsaes-oaep") return KeyTransport::rsa_oaep_sha1;
    if (name == "rsaes-oaep-sha256") return KeyTransport::rsa_oaep_sha256;
  }
  return std::nullopt;
}

void choose_transport(const CipherRecipient& recipient, const ForcedAlgorithms& forced,
                      RecipientTransport& out) {
  const EVP_PKEY* key = X509_get0_pubkey(recipient.certificate);
  if (key != nullptr && !EVP_PKEY_is_a(key, "RSA")) {
    out.name = "ecdh";
    out.reason = "ecdh: " + recipient.address + " has an EC key (ECDH key agreement)";
    return;
  }
  if (forced.transport) {
    out.transport = *forced.transport;
    out.name = std::string(to_string(out.transport));
    out.reason = out.name + ": forced by " + forced.transport_by;
    return;
  }
  if (recipient.own_key) {
    out.transport = KeyTransport::rsa_pkcs1;
    out.name = "rsa-pkcs1";
    out.reason = "rsa-pkcs1: " + recipient.address +
                 " is the appliance's own key (PKCS#1 v1.5 decrypts natively on every token)";
    return;
  }
  if (const auto oaep = announced_oaep(out.capabilities)) {
    out.transport = *oaep;
    out.name = std::string(to_string(out.transport));
    out.reason = out.name + ": " + recipient.address + " announced RSAES-OAEP" +
                 (*oaep == KeyTransport::rsa_oaep_sha256 ? " with SHA-256" : "");
    return;
  }
  out.transport = KeyTransport::rsa_pkcs1;
  out.name = "rsa-pkcs1";
  out.reason = "rsa-pkcs1: " + recipient.address + " did not announce RSAES-OAEP";
}

std::string named(const std::vector<std::string>& addresses) {
  std::string text;
  for (std::size_t i = 0; i < addresses.size() && i < kNamedAddresses; ++i) {
    text += (i == 0 ? "" : ", ") + addresses[i];
  }
  if (addresses.size() > kNamedAddresses) {
    text += " and " + std::to_string(addresses.size() - kNamedAddresses) + " more";
  }
  return text;
}

void choose_content_cipher(const std::vector<CipherRecipient>& recipients,
                           const ForcedAlgorithms& forced, CipherChoice& out) {
  if (forced.cipher) {
    out.cipher = *forced.cipher;
    out.reason = std::string(to_string(out.cipher)) + ": forced by " + forced.cipher_by;
    return;
  }
  std::vector<std::string> without_gcm;
  std::vector<std::string> only_128;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const std::vector<std::string>& caps = out.recipients[i].capabilities;
    if (announced(caps, "aes256-gcm")) continue;
    if (announced(caps, "aes128-gcm")) {
      only_128.push_back(recipients[i].address);
    } else {
      without_gcm.push_back(recipients[i].address);
    }
  }
  if (!without_gcm.empty()) {
    out.cipher = ContentCipher::aes256_cbc;
    out.reason = "aes-256-cbc: " + named(without_gcm) + " did not announce AES-GCM";
  } else if (!only_128.empty()) {
    out.cipher = ContentCipher::aes128_gcm;
    out.reason =
        "aes-128-gcm: every recipient announced AES-GCM, " + named(only_128) + " only AES-128-GCM";
  } else {
    out.cipher = ContentCipher::aes256_gcm;
    out.reason = recipients.size() == 1
                     ? "aes-256-gcm: " + recipients.front().address + " announced AES-256-GCM"
                     : "aes-256-gcm: every recipient announced AES-256-GCM";
  }
}

}  // namespace

CipherChoice choose_cipher(store::Store& store, const std::vector<CipherRecipient>& recipients,
                           const ForcedAlgorithms& forced) {
  CipherChoice out;
  out.recipients.resize(recipients.size());
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    read_capabilities(store, recipients[i], out.recipients[i]);
    choose_transport(recipients[i], forced, out.recipients[i]);
  }
  choose_content_cipher(recipients, forced, out);
  return out;
}

void describe_transport(const RecipientTransport& choice, UsedCertificate& used) {
  used.key_transport = choice.name;
  used.key_transport_reason = choice.reason;
  used.capabilities = choice.capabilities;
  used.capabilities_source = choice.source;
}

}  // namespace smime::engine
