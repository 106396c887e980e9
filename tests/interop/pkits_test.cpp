// NIST PKITS (Public Key Interoperability Test Suite, 2011 edition) signed S/MIME messages
// through the engine's incoming path. Every message is judged in a fresh SQLite store whose only
// certificate is the PKITS trust anchor, stored as the only anchor through CertificateService;
// the messages carry their own intermediates and CRLs (SignedData certificates and crls). The
// expectations are tests/interop/pkits_expectations.tsv, the same file tests/interop/PKITS.md is
// rendered from (render_pkits.py); the data comes from the Debian package
// python3-cryptography-vectors and is read where it is installed, never copied into the tree.
#include <gtest/gtest.h>
#include <openssl/cms.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/common/handles.hpp"
#include "smime/engine/engine.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/store/sqlite_store.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

namespace fs = std::filesystem;

fs::path pkits_data() {
  if (const char* dir = std::getenv("SMIME_PKITS_DATA"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return SMIME_PKITS_DATA;
}

struct Expectation {
  std::string section;   // "4.1"
  std::string id;        // "4.1.1"
  std::string name;      // "Valid Signatures Test1"
  std::string file;      // "SignedValidSignaturesTest1.eml"
  std::string expected;  // "valid" | "invalid"
  std::string result;    // what the appliance answers: equal to expected unless a known difference
  std::string note;
};

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, '\t')) fields.push_back(field);
  return fields;
}

// Columns: section, id, name, file, expected, result, note. '#' starts a comment line.
std::vector<Expectation> expectations() {
  std::ifstream in(SMIME_PKITS_EXPECTATIONS);
  if (!in) throw std::runtime_error("cannot read " SMIME_PKITS_EXPECTATIONS);
  std::vector<Expectation> rows;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {  // the column names
      header = false;
      continue;
    }
    auto f = split_tabs(line);
    if (f.size() < 6) throw std::runtime_error("bad expectations line: " + line);
    rows.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f.size() > 6 ? f[6] : ""});
  }
  return rows;
}

// The appliance's answer for one message: "valid" when the outermost signature layer's chain
// ends at the anchor, the signer's certificate is within its validity period and no certificate
// of the chain is revoked or of unknown status (the engine runs with revocation_hard, as PKITS
// requires a CRL for every certificate); "invalid" otherwise. `why` says which check decided.
struct Answer {
  std::string outcome;
  std::string why;
};

Answer judge(const engine::IncomingResult& in) {
  if (in.signatures.empty()) {
    std::string errors;
    for (const auto& e : in.errors) errors += e.code + ": " + e.message + "; ";
    return {"invalid", "no signature layer (" + errors + ")"};
  }
  const auto& checks = in.signatures.front().checks;
  if (checks.integrity.status != "valid") {
    return {"invalid", "integrity " + checks.integrity.status + ": " + checks.integrity.reason};
  }
  if (checks.chain.status != "valid") {
    return {"invalid", "chain " + checks.chain.status + ": " + checks.chain.reason};
  }
  if (checks.validity.status != "valid") {
    return {"invalid", "validity " + checks.validity.status + ": " + checks.validity.reason};
  }
  if (checks.revocation.status != "good") {
    return {"invalid", "revocation " + checks.revocation.status + ": " + checks.revocation.reason};
  }
  return {"valid", "chain valid, revocation good"};
}

class PkitsTest : public SoftHsmTest {
 protected:
  void SetUp() override {
    if (!fs::exists(pkits_data() / "smime") || !fs::exists(pkits_data() / "certs")) {
      GTEST_SKIP() << "NIST PKITS data not installed at " << pkits_data().string()
                   << " (Debian package python3-cryptography-vectors, or set SMIME_PKITS_DATA)";
    }
  }

  // The message's own certificates (untrusted, CAs before the signer as the message lists
  // them) and CRLs imported through CertificateService, the way an administrator would store
  // them; what the service refuses (a CRL whose issuer does not chain to the anchor, say) is
  // left out, as it would be in production.
  void store_material(service::CertificateService& certificates, const std::string& message) {
    BioPtr in(BIO_new_mem_buf(message.data(), static_cast<int>(message.size())));
    BIO* content = nullptr;
    CmsPtr cms(SMIME_read_CMS(in.get(), &content));
    BioPtr content_owner(content);
    if (!cms) throw std::runtime_error("test: cannot read the PKITS message's CMS");
    X509StackPtr certs(CMS_get1_certs(cms.get()));
    for (int i = 0; i < sk_X509_num(certs.get()); ++i) {
      unsigned char* der = nullptr;
      const int n = i2d_X509(sk_X509_value(certs.get(), i), &der);
      OpensslBytesPtr owner(der);
      try {
        certificates.import_certificates(
            std::span<const unsigned char>(der, static_cast<std::size_t>(n)), nullptr, false,
            false);
      } catch (const Error&) {
      }
    }
    STACK_OF(X509_CRL)* crls = CMS_get1_crls(cms.get());
    for (int i = 0; i < sk_X509_CRL_num(crls); ++i) {
      unsigned char* der = nullptr;
      const int n = i2d_X509_CRL(sk_X509_CRL_value(crls, i), &der);
      OpensslBytesPtr owner(der);
      try {
        certificates.import_crl(std::span<const unsigned char>(der, static_cast<std::size_t>(n)));
        ++stored_crls_;
      } catch (const Error&) {
      }
    }
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
  }

  int stored_crls_ = 0;  // CRLs CertificateService accepted, over the stored runs

  // A fresh store with TrustAnchorRootCertificate.crt as its only (trusted) certificate (and,
  // with stored, the message's certificates and CRLs), and the message through
  // Engine::incoming.
  Answer run(const Expectation& row, bool stored = false) {
    const fs::path db = scratch_.path() / ("pkits-" + row.id + ".db");
    auto store = store::open_sqlite_store(db);
    service::CertificateService certificates(*store, key_store());
    const std::string anchor =
        read_file((pkits_data() / "certs" / "TrustAnchorRootCertificate.crt").string());
    auto report = certificates.import_certificates(
        std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(anchor.data()),
                                       anchor.size()),
        nullptr, false, true);
    if (report.imported.size() != 1 || !report.imported[0].record.trusted) {
      throw std::runtime_error("PKITS trust anchor not stored as an anchor");
    }
    const std::string message = read_file((pkits_data() / "smime" / row.file).string());
    if (stored) store_material(certificates, message);
    engine::Policy policy;
    policy.verification.revocation_hard = true;
    engine::Engine engine(
        *store, certificates, [this]() -> KeyStore& { return key_store(); }, policy);
    return judge(engine.incoming(message));
  }

  void run_section(const std::string& section, bool stored = false) {
    int count = 0;
    for (const auto& row : expectations()) {
      if (row.section != section) continue;
      ++count;
      SCOPED_TRACE(row.id + " " + row.name + " (" + row.file + ")");
      ASSERT_TRUE(fs::exists(pkits_data() / "smime" / row.file)) << "message missing";
      const Answer answer = run(row, stored);
      // A known difference is recorded with the result the appliance gives: if it changes (a
      // fix), the row must be updated, and the table with it.
      EXPECT_EQ(answer.outcome, row.result) << answer.why;
      if (row.result == row.expected) {
        EXPECT_EQ(answer.outcome, row.expected) << answer.why;
      } else {
        EXPECT_FALSE(row.note.empty()) << "a known difference needs its reason in the note";
      }
      if (std::getenv("SMIME_PKITS_VERBOSE") != nullptr) {
        std::cout << row.id << '\t' << row.file << '\t' << answer.outcome << '\t' << answer.why
                  << '\n';
      }
    }
    EXPECT_GT(count, 0) << "no expectations for section " << section;
  }
};

TEST_F(PkitsTest, Section4_1_SignatureVerification) {
  run_section("4.1");
}
TEST_F(PkitsTest, Section4_2_ValidityPeriods) {
  run_section("4.2");
}
TEST_F(PkitsTest, Section4_3_VerifyingNameChaining) {
  run_section("4.3");
}
TEST_F(PkitsTest, Section4_4_BasicCertificateRevocation) {
  run_section("4.4");
}
TEST_F(PkitsTest, Section4_5_SelfIssuedCertificates) {
  run_section("4.5");
}
TEST_F(PkitsTest, Section4_6_BasicConstraints) {
  run_section("4.6");
}
TEST_F(PkitsTest, Section4_7_KeyUsage) {
  run_section("4.7");
}
TEST_F(PkitsTest, Section4_13_NameConstraints) {
  run_section("4.13");
}
TEST_F(PkitsTest, Section4_14_DistributionPoints) {
  run_section("4.14");
}
TEST_F(PkitsTest, Section4_15_DeltaCrls) {
  run_section("4.15");
}
TEST_F(PkitsTest, Section4_16_PrivateCertificateExtensions) {
  run_section("4.16");
}

// The same answers when the messages' certificates and CRLs are also in the store (imported
// through CertificateService): stored CRLs and duplicates of the embedded ones change nothing.
TEST_F(PkitsTest, StoredCertificatesAndCrlsGiveTheSameAnswers) {
  for (const char* section :
       {"4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.13", "4.14", "4.15", "4.16"}) {
    run_section(section, true);
  }
  // Most paths' CRLs chain to the anchor and are accepted by the service.
  EXPECT_GT(stored_crls_, 150);
  std::cout << stored_crls_ << " CRLs stored\n";
}

// Every row names a message of the installed suite, and every claimed section has rows.
TEST_F(PkitsTest, ExpectationsNameInstalledMessages) {
  std::map<std::string, int> per_section;
  for (const auto& row : expectations()) {
    EXPECT_TRUE(fs::exists(pkits_data() / "smime" / row.file)) << row.file;
    EXPECT_TRUE(row.expected == "valid" || row.expected == "invalid") << row.id;
    EXPECT_TRUE(row.result == "valid" || row.result == "invalid") << row.id;
    ++per_section[row.section];
  }
  EXPECT_GE(per_section.size(), 7u);
}

}  // namespace
}  // namespace smime::test
