// gpgsm (GnuPG 2.2) as an S/MIME peer, in a GNUPGHOME of its own: the CA is trusted through
// trustlist.txt, CRL checks and dirmngr are off (offline test network), and private keys come
// in as PKCS#12 with the passphrase on fd 3 (loopback pinentry, never a dialog).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "interop/peers/peer.hpp"

namespace smime::test::interop {

class GpgsmPeer {
 public:
  // Creates the home and trusts the CA certificate at ca_pem.
  GpgsmPeer(std::filesystem::path home, const std::string& ca_pem);
  ~GpgsmPeer();  // stops the gpg-agent this home started
  GpgsmPeer(const GpgsmPeer&) = delete;
  GpgsmPeer& operator=(const GpgsmPeer&) = delete;
  static const std::string& version();  // "gpgsm (GnuPG) 2.2.40"

  PeerRun import_certificate(const std::string& pem_path) const;
  PeerRun import_identity(const PeerIdentity& identity) const;
  PeerRun dump_options() const;  // gpgsm --dump-options: what can be asked for at all

  // ok only with GOODSIG and full trust in the status output and no bad or error signature.
  PeerRun verify_detached(std::string_view content, std::string_view signature_der) const;
  PeerRun verify_opaque(std::string_view signed_der) const;  // output = the content
  PeerRun decrypt(std::string_view enveloped_der, const PeerIdentity& recipient) const;

  // output = DER. signer/recipients are email addresses of imported certificates.
  PeerRun sign(std::string_view content, const PeerIdentity& signer, bool opaque) const;
  PeerRun encrypt(std::string_view content, const std::vector<std::string>& recipients,
                  const std::string& cipher_algo) const;

 private:
  std::vector<std::string> base() const;
  std::map<std::string, std::string> env() const;
  std::string passphrase_file(const PeerIdentity& identity) const;
  std::string export_again(const PeerIdentity& identity) const;
  PeerDir dir_;
  std::filesystem::path home_;
};

}  // namespace smime::test::interop
