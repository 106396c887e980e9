#include "interop/peers/nss_peer.hpp"

#include <stdexcept>

namespace smime::test::interop {
namespace {

// "signer0.status=GoodSignature; " for every signer, and at least one signer.
bool all_signers_good(const std::string& headers) {
  std::size_t count = 0;
  for (std::size_t at = headers.find(".status="); at != std::string::npos;
       at = headers.find(".status=", at + 1)) {
    if (headers.compare(at, 22, ".status=GoodSignature;") != 0) return false;
    ++count;
  }
  return count > 0;
}

}  // namespace

NssPeer::NssPeer(std::filesystem::path dir, const std::string& ca_pem)
    : dir_(dir / "files"), db_(dir / "db") {
  std::filesystem::create_directories(db_);
  PeerRun created = run_peer({"certutil", "-N", "-d", db(), "--empty-password"});
  if (!created.ok) throw std::runtime_error("certutil -N failed: " + created.printed);
  PeerRun trusted =
      run_peer({"certutil", "-A", "-d", db(), "-n", "interop-root", "-t", "C,C,C", "-i", ca_pem});
  if (!trusted.ok) throw std::runtime_error("certutil -A (CA) failed: " + trusted.printed);
}

const std::string& NssPeer::version() {
  static const std::string text = [] {
    const std::string v = first_line_of({"dpkg-query", "-W", "-f=${Version}", "libnss3"}, "");
    // Debian's "2:3.87.1-1+deb12u4" -> "3.87.1"
    const auto colon = v.find(':');
    const std::string upstream = v.substr(colon == std::string::npos ? 0 : colon + 1);
    return "NSS cmsutil " +
           (upstream.empty() ? "(unknown)" : upstream.substr(0, upstream.find('-')));
  }();
  return text;
}

PeerRun NssPeer::import_certificate(const std::string& nickname,
                                    const std::string& pem_path) const {
  return run_peer({"certutil", "-A", "-d", db(), "-n", nickname, "-t", ",,", "-i", pem_path});
}

PeerRun NssPeer::import_identity(const PeerIdentity& identity) const {
  return run_peer(
      {"pk12util", "-i", identity.pkcs12, "-d", db(), "-W", identity.pkcs12_passphrase, "-K", ""});
}

PeerRun NssPeer::usage() const {
  return run_peer({"cmsutil"});
}

PeerRun NssPeer::signer_status(const std::string& der_path, const std::string& content_path) const {
  std::vector<std::string> args = {"cmsutil", "-D",     "-d", db(), "-p", "",
                                   "-i",      der_path, "-h", "2",  "-n"};
  if (!content_path.empty()) args.insert(args.end(), {"-c", content_path});
  PeerRun run = run_peer(args);
  run.ok = run.ok && all_signers_good(run.printed);
  return run;
}

PeerRun NssPeer::verify_detached(std::string_view content, std::string_view signature_der) const {
  return signer_status(dir_.write("signature.p7s", signature_der),
                       dir_.write("content.mime", content));
}

PeerRun NssPeer::verify_opaque(std::string_view signed_der) const {
  const std::string in = dir_.write("signed.p7m", signed_der);
  PeerRun status = signer_status(in, {});
  if (!status.ok) return status;
  // A second pass for the content alone: with -h the header lines share the output file.
  const std::string out = dir_.fresh("content.out");
  PeerRun content = run_peer({"cmsutil", "-D", "-d", db(), "-p", "", "-i", in, "-o", out}, {}, out);
  content.printed = status.printed + content.printed;
  return content;
}

PeerRun NssPeer::decrypt(std::string_view enveloped_der) const {
  const std::string out = dir_.fresh("decrypted.out");
  return run_peer({"cmsutil", "-D", "-d", db(), "-p", "", "-i",
                   dir_.write("enveloped.p7m", enveloped_der), "-o", out},
                  {}, out);
}

PeerRun NssPeer::sign(std::string_view content, const PeerIdentity& signer, bool opaque,
                      const std::string& hash) const {
  const std::string out = dir_.fresh(opaque ? "signed.p7m" : "signature.p7s");
  // -G signingTime and -P SMIMECapabilities: the attributes a mail client sends.
  std::vector<std::string> args = {
      "cmsutil",    "-S", "-d", db(), "-p", "",   "-N",
      signer.email, "-H", hash, "-G", "-P", "-i", dir_.write("content.mime", content),
      "-o",         out};
  if (!opaque) args.push_back("-T");
  PeerRun run = run_peer(args, {}, out);
  run.ok = run.ok && !run.output.empty();
  return run;
}

PeerRun NssPeer::encrypt(std::string_view content,
                         const std::vector<std::string>& recipients) const {
  std::string list;
  for (const auto& r : recipients) list += (list.empty() ? "" : ",") + r;
  const std::string out = dir_.fresh("enveloped.p7m");
  PeerRun run = run_peer({"cmsutil", "-E", "-d", db(), "-p", "", "-r", list, "-i",
                          dir_.write("content.mime", content), "-o", out},
                         {}, out);
  run.ok = run.ok && !run.output.empty();
  return run;
}

}  // namespace smime::test::interop
