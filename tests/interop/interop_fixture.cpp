#include "interop/interop_fixture.hpp"

#include <openssl/pem.h>

#include <atomic>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "smime/certs/certificate_info.hpp"
#include "support/test_certs.hpp"
#include "support/test_keys.hpp"

namespace smime::test::interop {
namespace {

constexpr const char* kPkcs12Passphrase = "interop-pass";

std::string key_kind_name(KeyKind kind) {
  switch (kind) {
    case KeyKind::rsa:
      return "rsa-2048";
    case KeyKind::p256:
      return "ec-p256";
    case KeyKind::p384:
      return "ec-p384";
  }
  return {};
}

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

EvpPkeyPtr public_key_of_csr(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) throw std::runtime_error("smimectl wrote no readable CSR");
  return EvpPkeyPtr(X509_REQ_get_pubkey(req.get()));
}

}  // namespace

std::string_view to_string(KeyKind kind) {
  switch (kind) {
    case KeyKind::rsa:
      return "rsa";
    case KeyKind::p256:
      return "p256";
    case KeyKind::p384:
      return "p384";
  }
  return "?";
}

std::string_view to_string(PeerKind kind) {
  switch (kind) {
    case PeerKind::openssl:
      return "openssl";
    case PeerKind::gpgsm:
      return "gpgsm";
    case PeerKind::nss:
      return "nss";
  }
  return "?";
}

const std::string& peer_version(PeerKind kind) {
  switch (kind) {
    case PeerKind::openssl:
      return OpenSslPeer::version();
    case PeerKind::gpgsm:
      return GpgsmPeer::version();
    case PeerKind::nss:
      return NssPeer::version();
  }
  return OpenSslPeer::version();
}

ProcessResult smimectl_checked(const std::vector<std::string>& args, int expected_exit) {
  std::vector<std::string> argv = {SMIME_TEST_SMIMECTL, "--home", softhsm_home().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = run_process(argv, {{"SMIME_TOKEN_LABEL", kTestTokenLabel}});
  if (r.exit_code != expected_exit) {
    throw std::runtime_error(joined(argv) + " exited " + std::to_string(r.exit_code) + ":\n" +
                             r.out + r.err);
  }
  return r;
}

InteropWorld& InteropWorld::get() {
  static std::unique_ptr<InteropWorld> world(new InteropWorld());
  return *world;
}

InteropWorld::InteropWorld() {
  ca_.key = generate_software_key("ec-p256");
  CertificateSpec spec = CertificateSpec::authority("Interop Root");
  spec.key = ca_.key.get();
  IssuedCertificate ca = issue_certificate(spec);
  ca_.cert = std::move(ca.cert);
  ca_pem_ = root_.file("interop-root.pem");
  write_file(ca_pem_, pem(ca_.cert.get()));
  // The root, imported on its own, is our trust anchor; the peers chain to it.
  smimectl_checked({"cert", "import", ca_pem_});
}

InteropWorld::~InteropWorld() {
  // Peers first: the gpgsm peer stops its agent while its home still exists.
  gpgsm_.reset();
  nss_.reset();
  openssl_.reset();
}

std::string InteropWorld::dir(const std::string& name) const {
  const auto path = root_.path() / name;
  std::filesystem::create_directories(path);
  return path.string();
}

void InteropWorld::write_files(Identity& identity, EVP_PKEY* software_key) {
  const std::string stem = dir("identities") + "/" + identity.files.email;
  identity.files.cert_pem = stem + ".pem";
  write_file(identity.files.cert_pem, pem(identity.cert.get()));
  if (software_key == nullptr) return;
  identity.files.key_pem = stem + ".key.pem";
  write_file(identity.files.key_pem, pem_pkcs8(software_key));
  identity.files.pkcs12 = stem + ".p12";
  identity.files.pkcs12_passphrase = kPkcs12Passphrase;
  ProcessResult p12 = run_process({"openssl",
                                   "pkcs12",
                                   "-export",
                                   "-in",
                                   identity.files.cert_pem,
                                   "-inkey",
                                   identity.files.key_pem,
                                   "-certfile",
                                   ca_pem_,
                                   "-name",
                                   identity.files.email,
                                   "-keypbe",
                                   "PBE-SHA1-3DES",
                                   "-certpbe",
                                   "PBE-SHA1-3DES",
                                   "-macalg",
                                   "sha1",
                                   "-passout",
                                   std::string("pass:") + kPkcs12Passphrase,
                                   "-out",
                                   identity.files.pkcs12});
  if (p12.exit_code != 0) throw std::runtime_error("openssl pkcs12 -export: " + p12.err);
}

Identity InteropWorld::make_identity(const std::string& email, KeyKind kind, bool token_generated) {
  Identity identity;
  identity.files.email = email;
  identity.files.kind = key_kind_name(kind);
  identity.token_generated = token_generated;
  EvpPkeyPtr key;
  if (token_generated) {
    // The key is made in the token; only its CSR leaves it, and our CA certifies it.
    const std::string csr = dir("identities") + "/" + email + ".csr";
    smimectl_checked({"key", "generate", "--algorithm", identity.files.kind, "--label", email,
                      "--email", email, "--csr", csr});
    key = public_key_of_csr(read_file(csr));
  } else {
    key = generate_software_key(identity.files.kind);
  }
  CertificateSpec spec = CertificateSpec::smime(email, identity.files.kind);
  spec.key = key.get();
  spec.key_usages = kind == KeyKind::rsa
                        ? std::vector<std::string>{"digitalSignature", "keyEncipherment"}
                        : std::vector<std::string>{"digitalSignature", "keyAgreement"};
  spec.issuer = ca_.cert.get();
  spec.issuer_key = ca_.key.get();
  identity.cert = issue_certificate(spec).cert;
  identity.fingerprint = certs::sha256_fingerprint(identity.cert.get());
  write_files(identity, token_generated ? nullptr : key.get());
  return identity;
}

const Identity& InteropWorld::org(KeyKind kind) {
  auto found = org_.find(kind);
  if (found != org_.end()) return found->second;
  const bool token_generated = kind == KeyKind::p256;
  Identity identity =
      make_identity(std::string(to_string(kind)) + "@org.example", kind, token_generated);
  smimectl_checked({"cert", "import", identity.files.cert_pem});
  if (!token_generated) {
    smimectl_checked({"key", "import", "--cert", identity.fingerprint, identity.files.key_pem});
  }
  // Signing needs the store to know the key is in the token, however it got there.
  ProcessResult shown = smimectl_checked({"--json", "cert", "show", identity.fingerprint});
  const auto json = nlohmann::json::parse(shown.out);
  if (!json.value("has_private_key", false)) {
    throw std::runtime_error(
        "our store does not link " + identity.files.email + " (" + identity.fingerprint +
        ") to its key in the token after `smimectl cert import`" +
        (token_generated ? " of the CA-issued certificate for a key made by `key generate --csr`"
                         : "") +
        ": cert show says " + shown.out);
  }
  return org_.emplace(kind, std::move(identity)).first->second;
}

const Identity& InteropWorld::peer(KeyKind kind) {
  auto found = peer_.find(kind);
  if (found != peer_.end()) return found->second;
  Identity identity = make_identity(std::string(to_string(kind)) + "@peer.example", kind, false);
  smimectl_checked({"cert", "import", identity.files.cert_pem});
  return peer_.emplace(kind, std::move(identity)).first->second;
}

OpenSslPeer& InteropWorld::openssl() {
  if (!openssl_) openssl_ = std::make_unique<OpenSslPeer>(dir("openssl"));
  return *openssl_;
}

GpgsmPeer& InteropWorld::gpgsm() {
  if (!gpgsm_) gpgsm_ = std::make_unique<GpgsmPeer>(root_.path() / "gpgsm" / "home", ca_pem_);
  return *gpgsm_;
}

NssPeer& InteropWorld::nss() {
  if (!nss_) nss_ = std::make_unique<NssPeer>(dir("nss"), ca_pem_);
  return *nss_;
}

const PeerRun& InteropWorld::gpgsm_identity(KeyKind kind) {
  auto found = gpgsm_identities_.find(kind);
  if (found != gpgsm_identities_.end()) return found->second;
  const Identity& identity = peer(kind);
  return gpgsm_identities_.emplace(kind, gpgsm().import_identity(identity.files)).first->second;
}

const PeerRun& InteropWorld::nss_identity(KeyKind kind) {
  auto found = nss_identities_.find(kind);
  if (found != nss_identities_.end()) return found->second;
  const Identity& identity = peer(kind);
  return nss_identities_.emplace(kind, nss().import_identity(identity.files)).first->second;
}

void InteropWorld::gpgsm_knows_org(KeyKind kind) {
  if (gpgsm_orgs_.count(kind) != 0) return;
  PeerRun run = gpgsm().import_certificate(org(kind).files.cert_pem);
  if (!run.ok) throw std::runtime_error("gpgsm --import of our certificate: " + run.printed);
  gpgsm_orgs_.insert(kind);
}

void InteropWorld::nss_knows_org(KeyKind kind) {
  if (nss_orgs_.count(kind) != 0) return;
  const Identity& identity = org(kind);
  PeerRun run = nss().import_certificate(identity.files.email, identity.files.cert_pem);
  if (!run.ok) throw std::runtime_error("certutil -A of our certificate: " + run.printed);
  nss_orgs_.insert(kind);
}

std::string_view text_body() {
  return "Hello from the S/MIME interop suite.\r\n"
         "\r\n"
         "- a line that starts with a dash\r\n"
         "--a line of dashes that is not a boundary\r\n"
         "A longer line of plain 7-bit text, still well under the 78 character limit.\r\n";
}

std::string text_entity() {
  return "Content-Type: text/plain; charset=us-ascii\r\n"
         "Content-Transfer-Encoding: 7bit\r\n"
         "\r\n" +
         std::string(text_body());
}

std::string peer_words(const PeerRun& run) {
  std::istringstream lines(run.printed);
  std::string line;
  std::string out;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bool noise = line.find_first_not_of(" \t") == std::string::npos;
    for (const char* n : {"DBG:", "CRLs not checked", "[GNUPG:] PROGRESS", "NSS has been init",
                          "Got default certdb", "received commands"}) {
      noise = noise || line.find(n) != std::string::npos;
    }
    if (noise) continue;
    const auto start = line.find_first_not_of(" \t");
    out += (out.empty() ? "" : " / ") + line.substr(start);
  }
  return out.size() > 400 ? out.substr(0, 400) + " ..." : out;
}

OursRun InteropTest::ours_message(const std::string& direction, const std::string& message,
                                  const std::vector<std::string>& options) {
  static std::atomic<unsigned> counter{0};
  const std::string stem = direction + "-" + std::to_string(++counter);
  const std::string in = scratch_.file(stem + ".eml");
  const std::string out = scratch_.file(stem + ".out.eml");
  write_file(in, message);
  std::vector<std::string> args = {"--json", "message", direction, "--in", in, "--out", out};
  args.insert(args.end(), options.begin(), options.end());
  OursRun run;
  run.command = "smimectl --home " + home().string() + " " + joined(args);
  run.process = smimectl(args);
  run.json = nlohmann::json::parse(run.process.out, nullptr, false);
  if (run.json.is_discarded()) run.json = nullptr;
  if (std::filesystem::exists(out)) run.message = read_file(out);
  keep(stem + ".eml", message);
  keep(stem + ".out.eml", run.message);
  return run;
}

OursRun InteropTest::ours_outgoing(const std::string& message,
                                   const std::vector<std::string>& options) {
  return ours_message("outgoing", message, options);
}

OursRun InteropTest::ours_incoming(const std::string& message) {
  return ours_message("incoming", message, {});
}

void InteropTest::keep(const std::string& name, const std::string& content) {
  // Large messages are not worth keeping twice in memory.
  if (content.size() <= 1024 * 1024) artifacts_[name] = content;
}

void InteropTest::TearDown() {
  const char* target = std::getenv("INTEROP_ARTIFACTS");
  if (target == nullptr || !HasFailure()) return;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) c = c == '/' ? '_' : c;
  const std::filesystem::path dir = std::filesystem::path(target) / name;
  std::filesystem::create_directories(dir);
  for (const auto& [file, content] : artifacts_) write_file((dir / file).string(), content);
  // The certificates and software keys, so every peer command can be rerun by hand.
  std::error_code ec;
  std::filesystem::copy(
      world().dir("identities"), dir / "identities",
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing,
      ec);
  std::filesystem::copy_file(world().ca_pem(), dir / "interop-root.pem",
                             std::filesystem::copy_options::overwrite_existing, ec);
}

}  // namespace smime::test::interop
