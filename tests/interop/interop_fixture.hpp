// The world every interop test lives in, built once per test process and only as far as a test
// needs it (ctest runs each test in its own process, so laziness is what keeps the suite fast):
//
//   - a software CA "Interop Root" that issued every certificate below;
//   - the organisation's identities in the SoftHSM token, with their certificates in our store:
//       rsa@org.example   RSA-2048, software key imported with `key import` (copy kept here)
//       p256@org.example  EC P-256, generated in the token (`key generate --csr`), CA-issued
//       p384@org.example  EC P-384, software key imported with `key import` (copy kept here)
//   - the peers' identities (software keys), imported into our store as contacts:
//       rsa@peer.example, p256@peer.example, p384@peer.example
//   - the three peers (openssl cms, gpgsm, NSS cmsutil), each in a directory of its own.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "interop/mime_util.hpp"
#include "interop/peers/gpgsm_peer.hpp"
#include "interop/peers/nss_peer.hpp"
#include "interop/peers/openssl_peer.hpp"
#include "smime/common/handles.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test::interop {

enum class KeyKind { rsa, p256, p384 };
std::string_view to_string(KeyKind kind);  // "rsa", "p256", "p384"

enum class PeerKind { openssl, gpgsm, nss };
std::string_view to_string(PeerKind kind);  // "openssl", "gpgsm", "nss"
const std::string& peer_version(PeerKind kind);
inline void PrintTo(PeerKind kind, std::ostream* os) {
  *os << to_string(kind);
}

struct Identity {
  PeerIdentity files;
  X509Ptr cert;
  std::string fingerprint;  // SHA-256 of the DER, lowercase hex (our store's id)
  bool token_generated = false;
};

class InteropWorld {
 public:
  static InteropWorld& get();  // one per process, removed at exit
  ~InteropWorld();

  const std::string& ca_pem() const { return ca_pem_; }
  X509* ca_cert() const { return ca_.cert.get(); }
  const Identity& org(KeyKind kind);
  const Identity& peer(KeyKind kind);

  OpenSslPeer& openssl();
  GpgsmPeer& gpgsm();
  NssPeer& nss();
  // Puts a peer identity (certificate and key) into gpgsm / NSS once; the result of the first
  // import is kept, so a peer that cannot import a key type fails the same way every time.
  const PeerRun& gpgsm_identity(KeyKind kind);
  const PeerRun& nss_identity(KeyKind kind);
  // Lets the peer encrypt to an org certificate.
  void gpgsm_knows_org(KeyKind kind);
  void nss_knows_org(KeyKind kind);

  std::string dir(const std::string& name) const;

 private:
  InteropWorld();
  Identity make_identity(const std::string& email, KeyKind kind, bool token_generated);
  void write_files(Identity& identity, EVP_PKEY* software_key);

  TempDir root_;
  struct {
    X509Ptr cert;
    EvpPkeyPtr key;
  } ca_;
  std::string ca_pem_;
  std::map<KeyKind, Identity> org_;
  std::map<KeyKind, Identity> peer_;
  std::unique_ptr<OpenSslPeer> openssl_;
  std::unique_ptr<GpgsmPeer> gpgsm_;
  std::unique_ptr<NssPeer> nss_;
  std::map<KeyKind, PeerRun> gpgsm_identities_;
  std::map<KeyKind, PeerRun> nss_identities_;
  std::set<KeyKind> gpgsm_orgs_;
  std::set<KeyKind> nss_orgs_;
};

// Runs smimectl on the process's dev token; throws with its output if the exit code differs.
ProcessResult smimectl_checked(const std::vector<std::string>& args, int expected_exit = 0);

// One run of `smimectl message outgoing|incoming`.
struct OursRun {
  ProcessResult process;
  nlohmann::json json;  // the --json summary (null if stdout was not JSON)
  std::string message;  // what --out received
  std::string command;  // for reproduction by hand
};

// The content entity every test sends unless it is about something else.
std::string text_entity();
// The body of text_entity() alone.
std::string_view text_body();

class InteropTest : public SoftHsmTest {
 protected:
  void TearDown() override;

  InteropWorld& world() { return InteropWorld::get(); }
  OursRun ours_outgoing(const std::string& message, const std::vector<std::string>& options);
  OursRun ours_incoming(const std::string& message);
  // Saved under $INTEROP_ARTIFACTS/<suite>.<test>/ when the test fails, for reproduction.
  void keep(const std::string& name, const std::string& content);

 private:
  // `smimectl --json message <direction>` over files in the scratch directory.
  OursRun ours_message(const std::string& direction, const std::string& message,
                       const std::vector<std::string>& options);
  std::map<std::string, std::string> artifacts_;
};

// A peer's output reduced to what explains an outcome (no debug lines), on one line.
std::string peer_words(const PeerRun& run);

// Decides a cell where a peer failed on our output. The same peer was also given a control:
// the same algorithms produced by openssl. If the control fails too, the peer does not support
// the combination and the test is skipped with the peer's own words (MATRIX.md quotes them);
// if the peer handles the control, our output is at fault and the test fails.
#define INTEROP_PEER_FAILED(peer_version, ours, control)                                           \
  do {                                                                                             \
    if (!(control).ok) {                                                                           \
      GTEST_SKIP() << "not supported by " << (peer_version) << ": " << peer_words(ours);           \
    }                                                                                              \
    FAIL() << (peer_version)                                                                       \
           << " handles openssl's equivalent but not ours.\n  ours:    " << (ours).command << "\n" \
           << (ours).printed << "\n  control: " << (control).command << "\n"                       \
           << (control).printed;                                                                   \
  } while (0)

// For cells a peer cannot even be asked to produce (no such option, or it refuses the key).
#define INTEROP_PEER_CANNOT(peer_version, what) \
  GTEST_SKIP() << "not supported by " << (peer_version) << ": " << (what)

// Test names "<case>_<peer>" for suites parameterised by (case, PeerKind) tuples; the case
// type has a `name`.
struct CaseAndPeerName {
  template <class Case>
  std::string operator()(const ::testing::TestParamInfo<std::tuple<Case, PeerKind>>& info) const {
    return std::string(std::get<0>(info.param).name) + "_" +
           std::string(to_string(std::get<1>(info.param)));
  }
};

}  // namespace smime::test::interop
