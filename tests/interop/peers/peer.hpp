// What the three peer wrappers share: the outcome of one peer command, the identities the peers
// hold, and a working directory that hands out fresh file names.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace smime::test::interop {

struct PeerRun {
  bool ok = false;
  std::string output;   // what the peer produced: content, DER or an S/MIME message
  std::string printed;  // its stdout and stderr: the failure message and the MATRIX.md text
  std::string command;  // the command line, to reproduce by hand
};

// A certificate with its software key on disk, in the forms the peers read.
struct PeerIdentity {
  std::string email;
  std::string kind;      // "rsa-2048", "ec-p256", "ec-p384"
  std::string cert_pem;  // path of the certificate (PEM)
  std::string key_pem;   // path of the unencrypted PKCS#8 key; empty if the key is token-only
  // PKCS#12 with PBE-SHA1-3DES and a SHA-1 MAC: gpgsm 2.2 cannot read PBES2/AES ones.
  std::string pkcs12;
  std::string pkcs12_passphrase;
};

// Files for one peer under its own directory; names never repeat within a process.
class PeerDir {
 public:
  explicit PeerDir(std::filesystem::path dir);
  const std::filesystem::path& path() const noexcept { return dir_; }
  std::string fresh(std::string_view stem) const;  // a new path, nothing written
  std::string write(std::string_view stem, std::string_view content) const;  // a new file

 private:
  std::filesystem::path dir_;
};

// Runs a peer command; `ok` is the exit code being 0 (callers add their own conditions), and
// `output` the content of output_file when one is named.
PeerRun run_peer(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env = {},
                 const std::string& output_file = {});
// The same, with the content of input_file on file descriptor 3 (gpgsm --passphrase-fd 3).
PeerRun run_peer_with_fd3(const std::vector<std::string>& argv, const std::string& input_file,
                          const std::map<std::string, std::string>& env = {},
                          const std::string& output_file = {});

// The first line of a command's output ("gpgsm (GnuPG) 2.2.40"), or `fallback`.
std::string first_line_of(const std::vector<std::string>& argv, const std::string& fallback);

}  // namespace smime::test::interop
