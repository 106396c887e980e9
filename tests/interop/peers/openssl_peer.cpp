#include "interop/peers/openssl_peer.hpp"

namespace smime::test::interop {

OpenSslPeer::OpenSslPeer(std::filesystem::path dir) : dir_(std::move(dir)) {}

const std::string& OpenSslPeer::version() {
  static const std::string text = first_line_of({"openssl", "version"}, "OpenSSL (unknown)");
  return text;
}

PeerRun OpenSslPeer::verify_smime(std::string_view message, const std::string& ca_pem) const {
  const std::string out = dir_.fresh("verified");
  // No -binary here: OpenSSL 3.0's multipart splitter in binary mode strips only the LF of the
  // CRLF that belongs to the delimiter, so a message as a relay delivers it (CRLF) would fail.
  return run_peer(
      {"openssl", "cms", "-verify", "-inform", "SMIME", "-in", dir_.write("signed.eml", message),
       "-CAfile", ca_pem, "-purpose", "smimesign", "-out", out},
      {}, out);
}

PeerRun OpenSslPeer::decrypt_smime(std::string_view message, const PeerIdentity& recipient) const {
  const std::string out = dir_.fresh("decrypted");
  return run_peer({"openssl", "cms", "-decrypt", "-binary", "-inform", "SMIME", "-in",
                   dir_.write("encrypted.eml", message), "-recip", recipient.cert_pem, "-inkey",
                   recipient.key_pem, "-out", out},
                  {}, out);
}

PeerRun OpenSslPeer::decrypt_der(std::string_view der, const PeerIdentity& recipient) const {
  const std::string out = dir_.fresh("decrypted");
  return run_peer({"openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in",
                   dir_.write("encrypted.der", der), "-recip", recipient.cert_pem, "-inkey",
                   recipient.key_pem, "-out", out},
                  {}, out);
}

std::vector<std::string> OpenSslPeer::sign_args(std::string_view entity, const PeerIdentity& signer,
                                                const std::string& chain_pem,
                                                const OpenSslSignOptions& options) const {
  std::vector<std::string> args = {
      "openssl",      "cms",           "-sign",
      "-binary",      "-in",           dir_.write("content.mime", entity),
      "-signer",      signer.cert_pem, "-inkey",
      signer.key_pem, "-md",           options.digest};
  if (!chain_pem.empty()) args.insert(args.end(), {"-certfile", chain_pem});
  if (options.opaque) args.push_back("-nodetach");
  if (options.pss) {
    args.insert(args.end(),
                {"-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:digest"});
  }
  return args;
}

PeerRun OpenSslPeer::sign(std::string_view entity, const PeerIdentity& signer,
                          const std::string& chain_pem, const OpenSslSignOptions& options) const {
  std::vector<std::string> args = sign_args(entity, signer, chain_pem, options);
  const std::string out = dir_.fresh("signed.smime");
  args.insert(args.end(), {"-outform", "SMIME", "-out", out});
  return run_peer(args, {}, out);
}

PeerRun OpenSslPeer::sign_der(std::string_view entity, const PeerIdentity& signer,
                              const std::string& chain_pem,
                              const OpenSslSignOptions& options) const {
  std::vector<std::string> args = sign_args(entity, signer, chain_pem, options);
  const std::string out = dir_.fresh("signed.der");
  args.insert(args.end(), {"-outform", "DER", "-out", out});
  return run_peer(args, {}, out);
}

std::vector<std::string> OpenSslPeer::encrypt_args(std::string_view entity,
                                                   const std::vector<OpenSslRecipient>& recipients,
                                                   const std::string& cipher) const {
  std::vector<std::string> args = {
      "openssl", "cms", "-encrypt", "-binary", "-in", dir_.write("content.mime", entity), cipher};
  for (const auto& r : recipients) {
    args.insert(args.end(), {"-recip", r.cert_pem});
    for (const auto& opt : r.key_opts) args.insert(args.end(), {"-keyopt", opt});
  }
  return args;
}

PeerRun OpenSslPeer::encrypt(std::string_view entity,
                             const std::vector<OpenSslRecipient>& recipients,
                             const std::string& cipher) const {
  std::vector<std::string> args = encrypt_args(entity, recipients, cipher);
  const std::string out = dir_.fresh("encrypted.smime");
  args.insert(args.end(), {"-outform", "SMIME", "-out", out});
  return run_peer(args, {}, out);
}

PeerRun OpenSslPeer::encrypt_der(std::string_view entity,
                                 const std::vector<OpenSslRecipient>& recipients,
                                 const std::string& cipher) const {
  std::vector<std::string> args = encrypt_args(entity, recipients, cipher);
  const std::string out = dir_.fresh("encrypted.der");
  args.insert(args.end(), {"-outform", "DER", "-out", out});
  return run_peer(args, {}, out);
}

}  // namespace smime::test::interop
