// NSS cmsutil/certutil/pk12util as an S/MIME peer, on an NSS database of its own
// (sql:DIR, empty password) that trusts the CA as an S/MIME issuer ("C,C,C").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "interop/peers/peer.hpp"

namespace smime::test::interop {

class NssPeer {
 public:
  NssPeer(std::filesystem::path dir, const std::string& ca_pem);
  static const std::string& version();  // "NSS 3.87.1" (cmsutil prints no version itself)

  PeerRun import_certificate(const std::string& nickname, const std::string& pem_path) const;
  PeerRun import_identity(const PeerIdentity& identity) const;
  PeerRun usage() const;  // cmsutil's option list: what can be asked for at all

  // cmsutil exits 0 even for an untrusted signer; ok also needs every signer's status to be
  // GoodSignature in its header output.
  PeerRun verify_detached(std::string_view content, std::string_view signature_der) const;
  PeerRun verify_opaque(std::string_view signed_der) const;  // output = the content
  PeerRun decrypt(std::string_view enveloped_der) const;

  // output = DER. hash is cmsutil's name ("SHA256", "SHA384").
  PeerRun sign(std::string_view content, const PeerIdentity& signer, bool opaque,
               const std::string& hash) const;
  PeerRun encrypt(std::string_view content, const std::vector<std::string>& recipients) const;

 private:
  std::string db() const { return "sql:" + db_.string(); }
  PeerRun signer_status(const std::string& der_path, const std::string& content_path) const;
  PeerDir dir_;
  std::filesystem::path db_;
};

}  // namespace smime::test::interop
