#include "interop/peers/gpgsm_peer.hpp"

#include "support/process.hpp"

namespace smime::test::interop {
namespace {

bool contains(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

// A verification counts only if every signature is good and the chain is fully trusted.
void judge_verification(PeerRun& run) {
  const bool good = contains(run.printed, "[GNUPG:] GOODSIG ") &&
                    (contains(run.printed, "[GNUPG:] TRUST_FULLY") ||
                     contains(run.printed, "[GNUPG:] TRUST_ULTIMATE"));
  const bool bad = contains(run.printed, "[GNUPG:] BADSIG") ||
                   contains(run.printed, "[GNUPG:] ERRSIG") ||
                   contains(run.printed, "[GNUPG:] TRUST_UNDEFINED") ||
                   contains(run.printed, "[GNUPG:] TRUST_NEVER");
  run.ok = run.ok && good && !bad;
}

}  // namespace

GpgsmPeer::GpgsmPeer(std::filesystem::path home, const std::string& ca_pem)
    : dir_(home.parent_path() / (home.filename().string() + "-files")), home_(std::move(home)) {
  std::filesystem::create_directories(home_);
  std::filesystem::permissions(home_, std::filesystem::perms::owner_all);
  write_file((home_ / "gpgsm.conf").string(), "disable-crl-checks\ndisable-dirmngr\n");
  write_file((home_ / "gpg-agent.conf").string(), "allow-loopback-pinentry\n");
  PeerRun imported = import_certificate(ca_pem);
  if (!imported.ok) throw std::runtime_error("gpgsm cannot import the CA: " + imported.printed);
  // trustlist.txt names trusted roots by SHA-1 fingerprint; "S" = for S/MIME.
  PeerRun listed = run_peer({"gpgsm", "--batch", "--with-colons", "--list-keys"}, env());
  std::string fingerprint;
  const auto at = listed.output.find("\nfpr:");
  if (at != std::string::npos) {
    std::string line = listed.output.substr(at + 1, listed.output.find('\n', at + 1) - at - 1);
    std::size_t field = 0;
    for (int i = 0; i < 9; ++i) field = line.find(':', field) + 1;
    fingerprint = line.substr(field, line.find(':', field) - field);
  }
  if (fingerprint.empty()) throw std::runtime_error("no CA fingerprint: " + listed.printed);
  write_file((home_ / "trustlist.txt").string(), fingerprint + " S relax\n");
}

GpgsmPeer::~GpgsmPeer() {
  try {
    run_process({"gpgconf", "--kill", "gpg-agent"}, env());
  } catch (...) {
    // The agent exits by itself once its home directory is gone.
  }
}

const std::string& GpgsmPeer::version() {
  static const std::string text = first_line_of({"gpgsm", "--version"}, "gpgsm (unknown)");
  return text;
}

std::map<std::string, std::string> GpgsmPeer::env() const {
  return {{"GNUPGHOME", home_.string()}};
}

std::vector<std::string> GpgsmPeer::base() const {
  return {"gpgsm", "--batch", "--status-fd", "1", "--pinentry-mode", "loopback"};
}

std::string GpgsmPeer::passphrase_file(const PeerIdentity& identity) const {
  return dir_.write("passphrase", identity.pkcs12_passphrase + "\n");
}

PeerRun GpgsmPeer::import_certificate(const std::string& pem_path) const {
  std::vector<std::string> args = base();
  args.insert(args.end(), {"--import", pem_path});
  return run_peer(args, env());
}

// The identity's certificate and key in a new PKCS#12 file, encrypted as the original but with
// fresh salts.
std::string GpgsmPeer::export_again(const PeerIdentity& identity) const {
  const std::string out = dir_.fresh("identity.p12");
  PeerRun exported = run_peer({"openssl", "pkcs12", "-export", "-in", identity.cert_pem, "-inkey",
                               identity.key_pem, "-name", identity.email, "-keypbe",
                               "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1",
                               "-passout", "pass:" + identity.pkcs12_passphrase, "-out", out});
  if (!exported.ok) throw std::runtime_error("openssl pkcs12 -export: " + exported.printed);
  return out;
}

PeerRun GpgsmPeer::import_identity(const PeerIdentity& identity) const {
  // gpgsm 2.2's PKCS#12 reader rejects some files that OpenSSL reads back, as a "possibly bad
  // passphrase" or a data error in a decrypted bag: 1 of 150 fresh files in a loop here. The same
  // key and certificate exported again with new salts imported, 6 times of 6.
  constexpr int kAttempts = 4;
  PeerRun run;
  std::string pkcs12 = identity.pkcs12;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) pkcs12 = export_again(identity);
    std::vector<std::string> args = base();
    args.insert(args.end(), {"--passphrase-fd", "3", "--import", pkcs12});
    run = run_peer_with_fd3(args, passphrase_file(identity), env());
    // gpgsm exits 0 even when it skipped the key; the status line says whether it is in.
    run.ok = run.ok && contains(run.printed, "secret keys imported: 1");
    if (run.ok || identity.key_pem.empty() ||
        !contains(run.printed, "error parsing or decrypting the PKCS#12 file")) {
      break;
    }
  }
  return run;
}

PeerRun GpgsmPeer::dump_options() const {
  return run_peer({"gpgsm", "--dump-options"}, env());
}

PeerRun GpgsmPeer::verify_detached(std::string_view content, std::string_view signature_der) const {
  std::vector<std::string> args = base();
  args.insert(args.end(),
              {"--assume-binary", "--verify", dir_.write("signature.p7s", signature_der),
               dir_.write("content.mime", content)});
  PeerRun run = run_peer(args, env());
  judge_verification(run);
  return run;
}

PeerRun GpgsmPeer::verify_opaque(std::string_view signed_der) const {
  const std::string out = dir_.fresh("content.out");
  std::vector<std::string> args = base();
  args.insert(args.end(), {"--assume-binary", "--output", out, "--verify",
                           dir_.write("signed.p7m", signed_der)});
  PeerRun run = run_peer(args, env(), out);
  judge_verification(run);
  return run;
}

PeerRun GpgsmPeer::decrypt(std::string_view enveloped_der, const PeerIdentity& recipient) const {
  const std::string out = dir_.fresh("decrypted.out");
  std::vector<std::string> args = base();
  args.insert(args.end(), {"--passphrase-fd", "3", "--assume-binary", "--output", out, "--decrypt",
                           dir_.write("enveloped.p7m", enveloped_der)});
  PeerRun run = run_peer_with_fd3(args, passphrase_file(recipient), env(), out);
  // gpgsm tries the RecipientInfos in order and exits 2 after "No secret key" for one that is
  // not its own even when a later one decrypts; DECRYPTION_OKAY with the content is success.
  run.ok = contains(run.printed, "[GNUPG:] DECRYPTION_OKAY") &&
           !contains(run.printed, "[GNUPG:] DECRYPTION_FAILED") && !run.output.empty();
  return run;
}

PeerRun GpgsmPeer::sign(std::string_view content, const PeerIdentity& signer, bool opaque) const {
  const std::string out = dir_.fresh(opaque ? "signed.p7m" : "signature.p7s");
  std::vector<std::string> args = base();
  args.insert(args.end(),
              {"--passphrase-fd", "3", "--local-user", signer.email, "--output", out,
               opaque ? "--sign" : "--detach-sign", dir_.write("content.mime", content)});
  PeerRun run = run_peer_with_fd3(args, passphrase_file(signer), env(), out);
  run.ok = run.ok && contains(run.printed, "[GNUPG:] SIG_CREATED") && !run.output.empty();
  return run;
}

PeerRun GpgsmPeer::encrypt(std::string_view content, const std::vector<std::string>& recipients,
                           const std::string& cipher_algo) const {
  const std::string out = dir_.fresh("enveloped.p7m");
  std::vector<std::string> args = base();
  args.insert(args.end(), {"--cipher-algo", cipher_algo, "--output", out});
  for (const auto& r : recipients) args.insert(args.end(), {"--recipient", r});
  args.insert(args.end(), {"--encrypt", dir_.write("content.mime", content)});
  PeerRun run = run_peer(args, env(), out);
  run.ok = run.ok && !run.output.empty();  // gpgsm 2.2 has no status line for this
  return run;
}

}  // namespace smime::test::interop
