// The `openssl cms` command line (OpenSSL 3.0) as an S/MIME peer. It reads and writes complete
// S/MIME entities itself (-inform/-outform SMIME), so it also checks our MIME framing, and
// signs and encrypts in -binary mode: the bytes signed are exactly the bytes sent (RFC 1847).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "interop/peers/peer.hpp"

namespace smime::test::interop {

struct OpenSslSignOptions {
  bool opaque = false;  // -nodetach: application/pkcs7-mime signed-data
  bool pss = false;     // RSASSA-PSS, salt length = digest length (RFC 4055 §3.1)
  std::string digest = "sha256";
};

struct OpenSslRecipient {
  std::string cert_pem;               // path
  std::vector<std::string> key_opts;  // -keyopt values for this recipient
};

class OpenSslPeer {
 public:
  explicit OpenSslPeer(std::filesystem::path dir);
  static const std::string& version();  // "OpenSSL 3.0.19 27 Jan 2026 (...)"

  // Verifies a complete S/MIME message against ca_pem; output = the signed content.
  PeerRun verify_smime(std::string_view message, const std::string& ca_pem) const;
  // Decrypts a complete S/MIME message with the recipient's software key; output = the entity.
  PeerRun decrypt_smime(std::string_view message, const PeerIdentity& recipient) const;
  PeerRun decrypt_der(std::string_view der, const PeerIdentity& recipient) const;

  // Signs a MIME entity; output = openssl's S/MIME entity (bare LF outside the signed part).
  PeerRun sign(std::string_view entity, const PeerIdentity& signer, const std::string& chain_pem,
               const OpenSslSignOptions& options) const;
  // The same signature as DER (for feeding other peers in the harness tests).
  PeerRun sign_der(std::string_view entity, const PeerIdentity& signer,
                   const std::string& chain_pem, const OpenSslSignOptions& options) const;
  // Encrypts a MIME entity; cipher is an openssl cipher option ("-aes256", "-aes-128-gcm").
  // output = openssl's S/MIME entity.
  PeerRun encrypt(std::string_view entity, const std::vector<OpenSslRecipient>& recipients,
                  const std::string& cipher) const;
  PeerRun encrypt_der(std::string_view entity, const std::vector<OpenSslRecipient>& recipients,
                      const std::string& cipher) const;

 private:
  std::vector<std::string> sign_args(std::string_view entity, const PeerIdentity& signer,
                                     const std::string& chain_pem,
                                     const OpenSslSignOptions& options) const;
  std::vector<std::string> encrypt_args(std::string_view entity,
                                        const std::vector<OpenSslRecipient>& recipients,
                                        const std::string& cipher) const;
  PeerDir dir_;
};

}  // namespace smime::test::interop
